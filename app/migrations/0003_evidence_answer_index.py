from tortoise import migrations
from tortoise.migrations import operations as ops
from tortoise.indexes import Index

class Migration(migrations.Migration):
    dependencies = [('cchc', '0002_tokens_state_extensions')]

    initial = False

    operations = [
        ops.AddIndex(
            model_name='Evidence',
            index=Index(fields=['answer_id', 'removed_at']),
        ),
    ]
