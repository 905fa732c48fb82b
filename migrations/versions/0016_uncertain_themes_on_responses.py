"""uncertain themes on responses

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 17:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases (SQLite 3.35+ drops a column in place): a batch
# operation would copy the table on SQLite and lose its rollup triggers.


def upgrade():
    op.add_column('response', sa.Column('uncertain_themes', sa.JSON(), nullable=True))
    op.create_index(
        'ix_response_uncertain', 'response', ['workspace_id', 'submitted_at'], unique=False,
        sqlite_where=sa.text('uncertain_themes IS NOT NULL'),
        postgresql_where=sa.text('uncertain_themes IS NOT NULL'),
    )


def downgrade():
    op.drop_index('ix_response_uncertain', table_name='response')
    op.drop_column('response', 'uncertain_themes')
