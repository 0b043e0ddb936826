from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('cchc', '0004_evidence_when')]

    initial = False

    operations = [
        ops.CreateModel(
            name='AppraiserUnitAssignment',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('cchc.BackofficeUser', source_field='user_id', db_constraint=True, to_field='id', related_name='unit_assignments', on_delete=OnDelete.CASCADE)),
                ('unit', fields.ForeignKeyField('cchc.Unit', source_field='unit_id', db_constraint=True, to_field='id', related_name='appraiser_assignments', on_delete=OnDelete.CASCADE)),
                ('criteria_set', fields.ForeignKeyField('cchc.CriteriaSet', source_field='criteria_set_id', db_constraint=True, to_field='id', related_name='unit_assignments', on_delete=OnDelete.CASCADE)),
                ('node_code', fields.CharField(default='', max_length=32)),
            ],
            options={'table': 'appraiser_unit_assignment', 'app': 'cchc', 'unique_together': (('user', 'unit', 'criteria_set', 'node_code'),), 'pk_attr': 'id', 'table_description': 'An appraiser is responsible for the items of one unit: all of them (empty'},
            bases=['Model'],
        ),
    ]
