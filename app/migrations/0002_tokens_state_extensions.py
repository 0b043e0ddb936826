from tortoise import migrations
from tortoise.migrations import operations as ops
import functools
from forms.models import ExtensionStatus
from json import dumps, loads
from tortoise.fields.base import OnDelete
from tortoise import fields

class Migration(migrations.Migration):
    dependencies = [('cchc', '0001_initial')]

    initial = False

    operations = [
        ops.CreateModel(
            name='ApiToken',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('user', fields.ForeignKeyField('cchc.BackofficeUser', source_field='user_id', db_constraint=True, to_field='id', related_name='tokens', on_delete=OnDelete.CASCADE)),
                ('kind', fields.CharField(default='api', max_length=16)),
                ('token_hash', fields.CharField(unique=True, max_length=64)),
                ('name', fields.CharField(default='', max_length=255)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
                ('expires_at', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('revoked_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('last_used_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
            ],
            options={'table': 'api_token', 'app': 'cchc', 'pk_attr': 'id', 'table_description': 'A bearer token or a web session of a back-office user, stored as a SHA-256 hash only,'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='BotState',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('key', fields.CharField(unique=True, max_length=255)),
                ('state', fields.CharField(null=True, max_length=255)),
                ('data', fields.JSONField(default=dict, encoder=functools.partial(dumps, separators=(',', ':')), decoder=loads)),
                ('updated_at', fields.DatetimeField(auto_now=True, auto_now_add=False)),
            ],
            options={'table': 'bot_state', 'app': 'cchc', 'pk_attr': 'id', 'table_description': 'One aiogram FSM storage key: its state name and its data (JSON).'},
            bases=['Model'],
        ),
        ops.CreateModel(
            name='ExtensionRequest',
            fields=[
                ('id', fields.IntField(generated=True, primary_key=True, unique=True, db_index=True)),
                ('assessment', fields.ForeignKeyField('cchc.Assessment', source_field='assessment_id', db_constraint=True, to_field='id', related_name='extension_requests', on_delete=OnDelete.CASCADE)),
                ('reason', fields.TextField(unique=False)),
                ('requested_until', fields.DatetimeField(auto_now=False, auto_now_add=False)),
                ('requested_by', fields.ForeignKeyField('cchc.Officer', source_field='requested_by_id', null=True, db_constraint=True, to_field='id', related_name='extension_requests', on_delete=OnDelete.SET_NULL)),
                ('status', fields.CharEnumField(default=ExtensionStatus.pending, description='pending: pending\napproved: approved\nrefused: refused', enum_type=ExtensionStatus, max_length=16)),
                ('decided_by', fields.ForeignKeyField('cchc.BackofficeUser', source_field='decided_by_id', null=True, db_constraint=True, to_field='id', related_name='extension_decisions', on_delete=OnDelete.SET_NULL)),
                ('decided_at', fields.DatetimeField(null=True, auto_now=False, auto_now_add=False)),
                ('decision_note', fields.TextField(default='', unique=False)),
                ('created_at', fields.DatetimeField(auto_now=False, auto_now_add=True)),
            ],
            options={'table': 'extension_request', 'app': 'cchc', 'pk_attr': 'id', 'table_description': "A unit asks for more time, the secretariat approves (moving that unit's deadline) or not."},
            bases=['Model'],
        ),
        ops.AddField(
            model_name='Assessment',
            name='leader_approved_by',
            field=fields.ForeignKeyField('cchc.Officer', source_field='leader_approved_by_id', null=True, db_constraint=True, to_field='id', related_name='approvals', on_delete=OnDelete.SET_NULL),
        ),
    ]
