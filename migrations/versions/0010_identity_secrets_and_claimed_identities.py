"""identity secrets and claimed identities

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-08 10:00:00.000000

Until now a public call (the widget's key is in every host page) could set a respondent's
email, so the address stored on a respondent may be one anybody typed. From here on only a
verified source writes `respondent.email`; a public call's address stays on its response
(`response.claimed_email`). This revision keeps as verified only the addresses an email
invite went to for that same respondent (the API or the helpdesk gave them); any other
address moves to that respondent's responses as a claim, and a "did we fix it?" invite still
waiting for such an address is suppressed.
"""

import secrets

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# A respondent's address that an invite sent to that same respondent vouches for.
_VOUCHED = """
EXISTS (SELECT 1 FROM email_invite i
         WHERE i.workspace_id = respondent.workspace_id
           AND i.email = lower(respondent.email)
           AND i.status IN ('sent', 'answered')
           AND (i.respondent_id = respondent.id OR i.external_id = respondent.external_id))
"""


def upgrade():
    # Added in place (not in batch mode, which would copy the tables on SQLite).
    op.add_column("workspace", sa.Column("identity_secret", sa.String(length=64), nullable=True))
    op.add_column(
        "workspace",
        sa.Column(
            "require_verified_identity", sa.Boolean(), server_default=sa.false(), nullable=False
        ),
    )
    op.add_column("response", sa.Column("identity", sa.String(length=10), nullable=True))
    op.add_column("response", sa.Column("claimed_email", sa.String(length=320), nullable=True))

    conn = op.get_bind()
    workspace = sa.table("workspace", sa.column("id"), sa.column("identity_secret"))
    for (workspace_id,) in conn.execute(sa.select(workspace.c.id)).all():
        conn.execute(
            workspace.update()
            .where(workspace.c.id == workspace_id)
            .values(identity_secret=secrets.token_hex(32))
        )

    unvouched = f"email IS NOT NULL AND NOT {_VOUCHED}"
    op.execute(
        f"""
        UPDATE response SET claimed_email = (
            SELECT lower(respondent.email) FROM respondent WHERE respondent.id = response.respondent_id)
        WHERE claimed_email IS NULL AND channel <> 'email'
          AND respondent_id IN (SELECT id FROM respondent WHERE {unvouched})
        """
    )
    op.execute(f"UPDATE respondent SET email = NULL WHERE {unvouched}")
    op.execute(
        """
        UPDATE email_invite
        SET status = 'suppressed', suppressed_reason = 'the address was not verified'
        WHERE case_id IS NOT NULL AND status = 'scheduled'
          AND NOT EXISTS (SELECT 1 FROM respondent r
                          WHERE r.id = email_invite.respondent_id
                            AND lower(r.email) = email_invite.email)
        """
    )


def downgrade():
    # The addresses moved off respondents are not put back: that would make claims facts again.
    op.drop_column("response", "claimed_email")
    op.drop_column("response", "identity")
    op.drop_column("workspace", "require_verified_identity")
    op.drop_column("workspace", "identity_secret")
