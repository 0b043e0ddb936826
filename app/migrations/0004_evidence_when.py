from tortoise import fields, migrations
from tortoise.migrations import operations as ops

class Migration(migrations.Migration):
    dependencies = [('cchc', '0003_evidence_answer_index')]

    initial = False

    operations = [
        ops.AddField(
            model_name='CriteriaNode',
            name='evidence_when',
            field=fields.CharField(default='points', max_length=16),
        ),
    ]
