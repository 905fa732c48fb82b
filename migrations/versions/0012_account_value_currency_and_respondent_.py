"""a workspace's currency, and churn and renewal events of respondents

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-20 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases: a batch operation would copy the table on SQLite.


def upgrade():
    op.add_column(
        'workspace',
        sa.Column('currency', sa.String(length=3), server_default='USD', nullable=False),
    )
    op.create_table(
        'respondent_event',
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('respondent_id', sa.Integer(), nullable=False),
        sa.Column('event', sa.String(length=10), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['respondent_id'], ['respondent.id'], ondelete='CASCADE'),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(
        'ix_respondent_event_ws_respondent_at', 'respondent_event',
        ['workspace_id', 'respondent_id', 'at'], unique=False,
    )
    op.create_index(
        op.f('ix_respondent_event_respondent_id'), 'respondent_event', ['respondent_id'],
        unique=False,
    )


def downgrade():
    op.drop_index(op.f('ix_respondent_event_respondent_id'), table_name='respondent_event')
    op.drop_index('ix_respondent_event_ws_respondent_at', table_name='respondent_event')
    op.drop_table('respondent_event')
    op.drop_column('workspace', 'currency')
