"""a respondent's answers by kind in time: the latest NPS score before each churn or renewal

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 14:30:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0014'
down_revision = '0013'
branch_labels = None
depends_on = None


def upgrade():
    # The new index starts with respondent_id, so it serves every lookup the old one did.
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index('ix_response_respondent_id')
        batch_op.create_index(
            'ix_response_respondent_scored', ['respondent_id', 'kind', 'submitted_at'], unique=False
        )


def downgrade():
    with op.batch_alter_table('response', schema=None) as batch_op:
        batch_op.drop_index('ix_response_respondent_scored')
        batch_op.create_index('ix_response_respondent_id', ['respondent_id'], unique=False)
