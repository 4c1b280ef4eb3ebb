"""Public roster search: anyone, rate-limited per client address, POST so that an SSN never
lands in a URL or an access log (SPEC §6)."""
from __future__ import annotations

from flask import current_app, jsonify

from common.contracts.rosters import SearchCriteria, SearchResult
from gateway.api import api, parse_body
from gateway.api.openapi import api_route
from gateway.limits import limiter


def search_roster(criteria: SearchCriteria) -> dict:
    """The rosters service's answer for validated criteria (the page uses this too)."""
    return current_app.rpc.call("rosters", "search_roster", criteria.model_dump(mode="json"))


@api_route(api, "/roster/search", "POST", "Search the public roster records: any subset of last "
           "name, first name, SSN (exact), IL number, classification and local; 25 people a page. "
           "Answers names, IL numbers, roster statuses and Safety Pass courses only", "anyone",
           request=SearchCriteria, response=SearchResult, errors=(422, 429))
@limiter.limit(lambda: current_app.config["RATELIMIT_SEARCH"])
def roster_search():
    return jsonify(search_roster(parse_body(SearchCriteria)))
