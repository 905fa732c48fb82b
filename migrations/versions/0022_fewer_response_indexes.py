"""fewer indexes to maintain on every stored response: a response's workspace and agent (every
agent figure reads the kind index, which holds the agent) and a respondent's workspace (the
first column of its unique key)

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 23:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0022"
down_revision = "0021"
branch_labels = None
depends_on = None


def upgrade():
    op.drop_index("ix_response_ws_agent", table_name="response")
    op.drop_index("ix_respondent_workspace_id", table_name="respondent")


def downgrade():
    op.create_index("ix_respondent_workspace_id", "respondent", ["workspace_id"], unique=False)
    op.create_index("ix_response_ws_agent", "response", ["workspace_id", "agent"], unique=False)
