"""The public search RPC, as a mixin the rosters service inherits (it brings `db`)."""
from __future__ import annotations

from common.errors import EXPECTED_ERRORS, validated
from common.messaging import rpc
from rosters import search


class SearchRpcs:
    @rpc(expected_exceptions=EXPECTED_ERRORS, sensitive_arguments=("criteria.ssn",))
    def search_roster(self, criteria: dict) -> dict:
        """Anyone's search of the public roster records (gateway: POST /api/v1/roster/search)."""
        data = validated(search.SearchCriteria, criteria or {})
        found = search.search(self.db, data, config=getattr(self, "config", None))
        return found.model_dump(mode="json")
