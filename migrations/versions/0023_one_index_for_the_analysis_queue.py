"""one index for the analysis queue: the comments not analysed yet, by workspace and status, in
place of one for pending comments (which the queue, reading pending and running ones, never
used) and one for every comment's status (which only the open statuses are counted from)

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-07 04:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0023"
down_revision = "0022"
branch_labels = None
depends_on = None

OPEN = sa.text("nlp_status IN ('pending', 'running', 'failed')")
COMMENTED = sa.text("comment IS NOT NULL")
PENDING = sa.text("nlp_status = 'pending'")


def upgrade():
    op.create_index(
        "ix_response_analysis_open",
        "response",
        ["workspace_id", "nlp_status", "id"],
        unique=False,
        sqlite_where=OPEN,
        postgresql_where=OPEN,
    )
    op.drop_index("ix_response_nlp_pending", table_name="response")
    op.drop_index("ix_response_commented_status", table_name="response")


def downgrade():
    op.create_index(
        "ix_response_commented_status",
        "response",
        ["workspace_id", "nlp_status"],
        unique=False,
        sqlite_where=COMMENTED,
        postgresql_where=COMMENTED,
    )
    op.create_index(
        "ix_response_nlp_pending",
        "response",
        ["workspace_id", "id"],
        unique=False,
        sqlite_where=PENDING,
        postgresql_where=PENDING,
    )
    op.drop_index("ix_response_analysis_open", table_name="response")
