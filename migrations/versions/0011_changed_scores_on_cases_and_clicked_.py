"""a changed score on its case, and scores clicked in a mail

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


# Plain ALTER TABLE on both databases (SQLite 3.35+ drops a column in place): a batch
# operation would copy the table on SQLite and lose its rollup triggers.


def upgrade():
    op.add_column('feedback_case', sa.Column('score_changed_at', sa.DateTime(), nullable=True))
    op.add_column('email_invite', sa.Column('answered_via', sa.String(length=5), nullable=True))
    op.add_column('email_invite', sa.Column('click_score', sa.Integer(), nullable=True))
    op.add_column('email_invite', sa.Column('click_at', sa.DateTime(), nullable=True))
    op.add_column('email_invite', sa.Column('click_state', sa.String(length=8), nullable=True))
    op.create_index(
        'ix_email_invite_click_pending', 'email_invite', ['click_at'], unique=False,
        sqlite_where=sa.text("click_state = 'pending'"),
        postgresql_where=sa.text("click_state = 'pending'"),
    )


def downgrade():
    op.drop_index('ix_email_invite_click_pending', table_name='email_invite')
    for column in ('click_state', 'click_at', 'click_score', 'answered_via'):
        op.drop_column('email_invite', column)
    op.drop_column('feedback_case', 'score_changed_at')
