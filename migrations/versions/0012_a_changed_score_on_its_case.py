"""a changed score on its case

Revision ID: 0012
Revises: 0009
Create Date: 2026-12-10 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0009'
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases (SQLite 3.35+ drops a column in place): a batch
# operation would copy the table on SQLite and lose its rollup triggers.


def upgrade():
    op.add_column('feedback_case', sa.Column('score_changed_at', sa.DateTime(), nullable=True))


def downgrade():
    op.drop_column('feedback_case', 'score_changed_at')
