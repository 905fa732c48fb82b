"""response effects: the outbox of case and webhook work a stored response causes, and
when each case was written

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 20:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0021'
down_revision = '0020'
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases: a batch operation would copy the table on SQLite and
# lose its rollup triggers.


def upgrade():
    op.add_column('feedback_case', sa.Column('created_at', sa.DateTime(), nullable=True))
    op.create_table(
        'response_effect',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('response_id', sa.Integer(), nullable=False),
        sa.Column('score', sa.Integer(), nullable=False),
        sa.Column('previous_score', sa.Integer(), nullable=True),
        sa.Column('stored_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['response_id'], ['response.id'],
            name=op.f('fk_response_effect_response_id_response'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_response_effect')),
    )


def downgrade():
    op.drop_table('response_effect')
    op.drop_column('feedback_case', 'created_at')
