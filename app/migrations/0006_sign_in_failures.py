from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise import fields
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('cchc', '0005_unit_assignments')]

    initial = False

    operations = [
        ops.CreateModel(
            name='SignInFailure',
            fields=[
                ('id', fields.BigIntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('at', fields.DatetimeField(db_index=True, auto_now=False, auto_now_add=False)),
                ('username', fields.CharField(max_length=64)),
                ('address', fields.CharField(max_length=64)),
            ],
            options={'table': 'sign_in_failure', 'app': 'cchc', 'indexes': [Index(fields=['username', 'at']), Index(fields=['address', 'at'])], 'pk_attr': 'id', 'table_description': 'A failed back-office sign-in (account or unknown name, and the client address), kept'},
            bases=['Model'],
        ),
    ]
