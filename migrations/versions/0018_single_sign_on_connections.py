"""single sign-on connections, and sessions kept to the workspace that signed them in

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 18:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0018'
down_revision = '0017'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'sso_connection',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('issuer', sa.String(length=500), nullable=False),
        sa.Column('client_id', sa.String(length=255), nullable=False),
        sa.Column('client_secret_sealed', sa.Text(), nullable=False),
        sa.Column('allowed_domains', sa.JSON(), nullable=False),
        sa.Column('default_role', sa.String(length=20), nullable=True),
        sa.Column('required', sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(['workspace_id'], ['workspace.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('workspace_id'),
    )
    op.create_index(
        op.f('ix_sso_connection_workspace_id'), 'sso_connection', ['workspace_id'], unique=False
    )
    # In batch mode: SQLite adds a foreign key only by copying the table (login_session has no
    # triggers to lose); PostgreSQL alters it in place.
    with op.batch_alter_table('login_session') as batch_op:
        batch_op.add_column(sa.Column('sso_workspace_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_login_session_sso_workspace_id_workspace'), 'workspace',
            ['sso_workspace_id'], ['id'], ondelete='CASCADE',
        )
        batch_op.create_index(
            batch_op.f('ix_login_session_sso_workspace_id'), ['sso_workspace_id'], unique=False
        )


def downgrade():
    with op.batch_alter_table('login_session') as batch_op:
        batch_op.drop_index(batch_op.f('ix_login_session_sso_workspace_id'))
        batch_op.drop_constraint(
            batch_op.f('fk_login_session_sso_workspace_id_workspace'), type_='foreignkey'
        )
        batch_op.drop_column('sso_workspace_id')
    op.drop_index(op.f('ix_sso_connection_workspace_id'), table_name='sso_connection')
    op.drop_table('sso_connection')
