"""kpi targets owned by a member, with an "at risk" margin, and the history of their changes

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-27 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    # SQLite adds no constraint to a table: there the batch copies kpi_target (one row a KPI,
    # a few dozen a workspace); PostgreSQL alters it in place.
    with op.batch_alter_table('kpi_target') as batch_op:
        batch_op.add_column(sa.Column('owner_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('at_risk', sa.Double(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_kpi_target_owner_id_user'), 'user', ['owner_id'], ['id'],
            ondelete='SET NULL',
        )
    op.create_table(
        'kpi_target_change',
        sa.Column('workspace_id', sa.Integer(), nullable=False),
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('metric', sa.String(length=64), nullable=False),
        sa.Column('actor', sa.String(length=320), nullable=False),
        sa.Column('at', sa.DateTime(), nullable=False),
        sa.Column('before', sa.JSON(), nullable=True),
        sa.Column('after', sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ['workspace_id'], ['workspace.id'],
            name=op.f('fk_kpi_target_change_workspace_id_workspace'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_kpi_target_change')),
    )
    op.create_index(
        op.f('ix_kpi_target_change_workspace_id'), 'kpi_target_change', ['workspace_id'],
        unique=False,
    )
    op.create_index(
        'ix_kpi_target_change_ws_metric_at', 'kpi_target_change',
        ['workspace_id', 'metric', 'at'], unique=False,
    )


def downgrade():
    op.drop_index('ix_kpi_target_change_ws_metric_at', table_name='kpi_target_change')
    op.drop_index(op.f('ix_kpi_target_change_workspace_id'), table_name='kpi_target_change')
    op.drop_table('kpi_target_change')
    with op.batch_alter_table('kpi_target') as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_kpi_target_owner_id_user'), type_='foreignkey')
        batch_op.drop_column('at_risk')
        batch_op.drop_column('owner_id')
