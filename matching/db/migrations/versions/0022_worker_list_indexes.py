"""worker list indexes: partial indexes of the live (not erased) workers for the console's list

Revision ID: 0022
Revises: 0016
Create Date: 2026-12-02 06:45:00.000000

At 40,000 workers the list's count and deep pages looked up every worker's row to test
``erased_at IS NULL``; these cover the count, the order by id and the name or phone search.
Only ``down_revision`` names a neighbour: re-parenting this revision changes that line alone.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0022"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

LIVE = sa.text("erased_at IS NULL")
INDEXES = {
    "ix_worker_profiles_live_list": ["agency_id", "id", "name", "phone"],
    "ix_worker_profiles_live_status": ["agency_id", "status", "id", "name", "phone"],
}


def upgrade() -> None:
    for name, columns in INDEXES.items():
        op.create_index(
            name,
            "worker_profiles",
            columns,
            unique=False,
            sqlite_where=LIVE,
            postgresql_where=LIVE,
        )


def downgrade() -> None:
    for name in INDEXES:
        op.drop_index(name, table_name="worker_profiles")
