"""One person's rows in every service, as the Hub's events would have left them: the accounts
person, the projections of the other services (same id, IL number and name), classification
records in every status, work days over the last three years, training completions (and
rosters' copy of them), documents (and rosters' review facts), messages.

Person i draws from its own random stream (seed, i), so the people of a run do not depend on the
chunk size, and the first people of a 6,000-person run are the first people of a 60,000 one."""
from __future__ import annotations

import hashlib
import random
from bisect import bisect_right
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta

from accounts.ssn import encrypt_ssn

from bench.data.catalog import ClassInfo
from bench.data.people import CITIES, EMPLOYERS, FIRST_NAMES, PRODUCTIONS, STREETS, Identities
from bench.data.tables import line
from common.contracts.rosters import STATUS_LABELS
from common.identity import ssn_index

YEARS_OF_WORK = 3
# classification records per person: 1, 2 or 3 (mean 1.7), then a share advance up a group
RECORDS_PER_PERSON = ((1, 2, 3), (45, 40, 15))
STATUS_WEIGHTS = {"compliant": 45, "approaching_deadline": 7, "not_compliant": 10,
                  "in_progress_training_eligible": 12, "in_progress_not_training_eligible": 14, "closed": 12}
AFTER_ADVANCING = {"compliant": 55, "approaching_deadline": 10, "not_compliant": 10, "pending_advancement": 25}
LAPSE_ORDER = {"not_compliant": 0, "approaching_deadline": 1, "compliant": 2, "pending_advancement": 2}
PLACED = frozenset({"compliant", "approaching_deadline", "not_compliant", "pending_advancement"})
WORK_DAYS_MEAN = 81          # exponential, capped at 700; with the people who have none: ≈ 70 a person
HOURS = ("8.0", "10.0", "10.5", "12.0", "12.5", "14.0")
WARNING_DAYS = 46            # past every catalog's "Approaching Deadlines" window (30 or 45 days)
MINUTES = tuple(f"{m:02d}" for m in range(60))
N_PRODUCTIONS = len(PRODUCTIONS)
GENERAL_COURSES = ("A2", "G", "K", "N", "P", "FIRE_EXTINGUISHER")
CONTENT_TYPES = (("application/pdf", "pdf"), ("image/jpeg", "jpg"), ("image/png", "png"))
REJECTIONS = ("The scan is unreadable", "The name does not match the account",
              "The expiry date is not shown", "This is not the document asked for")
DAY_REJECTIONS = ("Not shown on the pay stub", "The employer has no record of this day")
MESSAGE_CATEGORIES = (("deadline", "roster", "training", "document", "account", "bulletin", "case"),
                      (22, 18, 22, 18, 10, 6, 4))


def ri(rng: random.Random, low: int, high: int) -> int:
    """random.randint, four times faster (the generator makes ~100M draws at 60,000 people)."""
    return low + int(rng.random() * (high - low + 1))


def rr(rng: random.Random, n: int) -> int:
    return int(rng.random() * n)


def pick(rng: random.Random, seq):
    return seq[int(rng.random() * len(seq))]


_LOW_62 = (1 << 62) - 1


def uid(rng: random.Random) -> str:
    """A version-4 UUID from the person's stream (uuid.uuid4() would not repeat per seed)."""
    x = rng.getrandbits(122)
    h = f"{(x >> 74) << 80 | 4 << 76 | (x >> 62 & 0xFFF) << 64 | 2 << 62 | x & _LOW_62:032x}"
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def at(day: date, rng: random.Random) -> datetime:
    """An instant during the business day (Pacific daytime, in UTC)."""
    return datetime.combine(day, time(15 + rr(rng, 9), rr(rng, 60), rr(rng, 60)), UTC)


@dataclass
class Chunk:
    """The rows of a run of people, as CSV lines per (service, table)."""
    lines: dict = field(default_factory=dict)

    def add(self, service: str, table: str, text: str) -> None:
        self.lines.setdefault((service, table), []).append(text)

    def row(self, service: str, table: str, *values) -> None:
        self.add(service, table, line(*values))


@dataclass
class Record:
    id: str
    info: ClassInfo
    status: str
    applied_on: date
    placed_on: date | None = None
    closed_on: date | None = None
    closed_reason: str | None = None
    lapses_on: date | None = None
    anticipated: date | None = None
    updated_at: datetime | None = None


class World:
    """Everything fixed for one run: the day, the catalog, staff, payroll clients, the key."""

    def __init__(self, seed: int, today: date, people: int, infos: list[ClassInfo], courses, document_types,
                 password_hash: str, ssn_config: dict | None = None, history_every: int = 1):
        self.seed, self.today, self.people = seed, today, people
        # every Nth person has the bulk history (work days, documents, messages); the others
        # only their accounts, records and completions: how 600,000 people fit in a few GB
        self.history_every = history_every
        self.now = datetime.combine(today, time(20, 0), UTC)
        self.identities = Identities(seed)
        self.courses, self.document_types = courses, document_types
        self.password_hash, self.ssn_config = password_hash, ssn_config
        self.by_code = {info.code: info for info in infos}
        entries: dict[str, list[ClassInfo]] = {}
        for info in infos:
            if info.entry == "apply":
                entries.setdefault(info.local, []).append(info)
        self.locals = sorted(entries)
        self.entries = entries
        # a reference local is three times as likely as a generated one to be someone's home
        self.local_weights = list(_cumulative(3 if not entries[local][0].generated else 1 for local in self.locals))
        self.ladders = [info for info in infos if info.entry == "apply" and info.advances_to]
        rng = random.Random(f"bench-world-{seed}")
        self.staff = [(uid(rng), role, n) for n, role in enumerate(["staff_admin"] * 4 + ["staff_reviewer"] * 8)]
        self.reviewers = [account_id for account_id, _, _ in self.staff]
        self.payroll_clients = [(uid(rng), f"Bench Payroll Company {n + 1}", f"bench-payroll-key-{seed}-{n + 1}")
                                for n in range(3)]
        self.day_iso = [(today - timedelta(days=k)).isoformat() for k in range(YEARS_OF_WORK * 365 + 400)]
        self.employer_keys = [(name, " ".join(name.split()).casefold()) for name in EMPLOYERS]
        self.samples: list[dict] = []
        self._sampled_statuses: set[str] = set()

    # --- one person ------------------------------------------------------------------------------

    def person(self, i: int, out: Chunk) -> None:
        rng = random.Random((self.seed << 34) + i)
        ident = self.identities
        pid, il = uid(rng), ident.il_number(i)
        first, last = pick(rng, FIRST_NAMES), ident.last_name(rng)
        registered_on = self.today - timedelta(days=ri(rng, 30, 12 * 365))
        registered_at = at(registered_on, rng)
        ssn = ident.ssn(i)
        index = ssn_index(ssn, self.ssn_config)
        records = self._records(rng, i)
        self._share_the_lapse(records)
        origin = "create_account" if rng.random() < 0.8 else pick(rng, ("import", "import", "staff", "payroll"))
        has_account = origin == "create_account" or rng.random() < 0.4
        email = None if not has_account and rng.random() < 0.3 else \
            f"{''.join(ch for ch in first + '.' + last if ch.isalnum() or ch == '.').lower()}.{il}@example.com"
        account_id = uid(rng) if has_account else None
        self._accounts(rng, out, pid, il, first, last, ssn, index, email, origin, registered_at, account_id, records)
        for service, table in (("rosters", "people"), ("documents", "owners"), ("training", "learners")):
            extra = (index,) if service == "rosters" else ()
            out.row(service, table, pid, il, first, last, registered_at, *extra)
        if email:
            out.row("notifications", "recipients", pid, email, first, rng.random() < 0.93)
        for record in records:
            self._record_rows(out, pid, record)
        with_history = i % self.history_every == 0
        if with_history:
            self._work_days(rng, out, pid, records)
        self._completions(rng, out, pid, records)
        if with_history:
            self._documents(rng, out, pid, records, account_id)
            self._messages(rng, out, pid, records, registered_on)
        self._sample(i, pid, il, first, last, email, records)

    def _records(self, rng: random.Random, i: int) -> list[Record]:
        home = self.locals[_pick(rng, self.local_weights)]
        choices = self.entries[home]
        count = min(rng.choices(*RECORDS_PER_PERSON)[0], len(choices))
        picked = rng.sample(choices, count)
        statuses = [rng.choices(list(STATUS_WEIGHTS), list(STATUS_WEIGHTS.values()))[0] for _ in picked]
        # the first people show every status, so even a tiny run has them all (SPEC §3)
        wanted = list(STATUS_LABELS)[i] if i < len(STATUS_LABELS) else None
        if wanted == "pending_advancement":
            picked[0] = self.ladders[i % len(self.ladders)]
            if picked[0] in picked[1:]:
                picked = picked[:1]
            statuses[0] = "advance"
        elif wanted is not None:
            statuses[0] = wanted
        records = []
        for info, status in zip(picked, statuses, strict=False):
            if info.advances_to and status in ("compliant", "closed") and rng.random() < 0.3 or status == "advance":
                records += self._advanced(rng, info, "pending_advancement" if status == "advance" else None)
            else:
                records.append(self._record(rng, info, status))
        return records

    def _record(self, rng: random.Random, info: ClassInfo, status: str) -> Record:
        today = self.today
        if status.startswith("in_progress"):
            applied = today - timedelta(days=ri(rng, 5, 400))
            return Record(uid(rng), info, status, applied, updated_at=at(today - timedelta(days=ri(rng, 0, 3)), rng))
        applied = today - timedelta(days=ri(rng, 120, 6 * 365))
        placed = min(applied + timedelta(days=ri(rng, 20, 200)), today - timedelta(days=1))
        record = Record(uid(rng), info, status, applied, placed_on=placed,
                        updated_at=at(today - timedelta(days=ri(rng, 0, 30)), rng))
        if status == "compliant":
            record.lapses_on = today + timedelta(days=ri(rng, 31, 700))
        elif status == "approaching_deadline":
            record.lapses_on = today + timedelta(days=ri(rng, 0, 30))
        elif status == "not_compliant":
            record.lapses_on = today - timedelta(days=ri(rng, 1, 400))
        elif status == "closed":
            if rng.random() < 0.3:
                record.placed_on = None
                record.closed_reason = "withdrew the application"
            else:
                record.closed_reason = "removed from the roster"
            record.closed_on = today - timedelta(days=ri(rng, 1, max(1, (today - placed).days)))
        if info.advances_to and status in ("compliant", "approaching_deadline"):
            record.anticipated = max(placed + timedelta(days=730), today + timedelta(days=ri(rng, 1, 365)))
        return record

    def _advanced(self, rng: random.Random, info: ClassInfo, then: str | None) -> list[Record]:
        """A record that advanced a group (closed) and the next group's record, placed that day."""
        nxt = self.by_code[info.advances_to]
        earlier = self._record(rng, info, "compliant")
        advanced_on = min(earlier.placed_on + timedelta(days=730 + ri(rng, 0, 200)),
                          self.today - timedelta(days=ri(rng, 1, 30)))
        earlier.status, earlier.lapses_on, earlier.anticipated = "closed", None, None
        earlier.closed_on, earlier.closed_reason = advanced_on, f"advanced to {nxt.name}"
        status = then or rng.choices(list(AFTER_ADVANCING), list(AFTER_ADVANCING.values()))[0]
        later = self._record(rng, nxt, "compliant")
        later.status, later.applied_on, later.placed_on = status, advanced_on, advanced_on
        if status == "pending_advancement":
            later.lapses_on = later.anticipated = None
        elif status == "approaching_deadline":
            later.lapses_on = self.today + timedelta(days=ri(rng, 0, 30))
        elif status == "not_compliant":
            later.lapses_on = self.today - timedelta(days=ri(rng, 1, 60))
        return [earlier, later]

    def _record_rows(self, out: Chunk, pid: str, r: Record) -> None:
        info = r.info
        group_started = r.placed_on if info.group is not None else None
        out.row("rosters", "classification_records", r.id, pid, info.code, info.local, r.applied_on, r.placed_on,
                group_started, r.closed_on, r.closed_reason, r.status, self.today, r.anticipated, r.lapses_on,
                r.updated_at, None, None)  # next_review_on, review_basis: never reviewed, the sweep's first
        out.row("training", "learner_records", pid, info.code, info.local, info.roster, r.status, r.placed_on,
                bool(r.closed_reason and r.closed_reason.startswith("advanced")), r.updated_at)
        out.row("documents", "owner_applications", pid, info.code, info.local)

    def _accounts(self, rng, out, pid, il, first, last, ssn, index, email, origin, registered_at, account_id,
                  records) -> None:
        city, zip_prefix = pick(rng, CITIES)
        born = self.today - timedelta(days=ri(rng, 19 * 365, 70 * 365))
        out.row("accounts", "people", pid, il, first, last, born, encrypt_ssn(ssn, self.ssn_config), index, email,
                rng.random() < 0.01, f"(818) 555-{rr(rng, 10000):04d}",
                f"{ri(rng, 100, 9999)} {pick(rng, STREETS)}", None if rng.random() < 0.8 else
                f"Apt {ri(rng, 1, 40)}", city, "CA", f"{zip_prefix}{rr(rng, 100):02d}",
                rng.random() < 0.93, origin, registered_at)
        if account_id is not None:
            disabled = self.now - timedelta(days=ri(rng, 1, 300)) if rng.random() < 0.005 else None
            out.row("accounts", "accounts", account_id, pid, email, f"{first} {last}", self.password_hash,
                    "industry_professional", "", None, registered_at, registered_at, disabled)
        for local in dict.fromkeys(r.info.local for r in records):
            out.row("accounts", "person_locals", pid, local)

    def staff_rows(self, out: Chunk) -> None:
        """Staff, a union rep for each local, employers, and the payroll companies' credentials."""
        since = datetime.combine(self.today - timedelta(days=900), time(17), UTC)
        for account_id, role, n in self.staff:
            out.row("accounts", "accounts", account_id, None, f"{role.replace('_', '-')}-{n}@bench.example.com",
                    f"Bench {role.replace('_', ' ').title()} {n}", self.password_hash, role, "", None, since, since,
                    None)
        rng = random.Random(f"bench-accounts-{self.seed}")
        for local in self.locals:
            out.row("accounts", "accounts", uid(rng), None, f"rep-{local}@bench.example.com", f"Local {local} rep",
                    self.password_hash, "union_rep", local, None, since, since, None)
        for n, employer in enumerate(EMPLOYERS[:20]):
            out.row("accounts", "accounts", uid(rng), None, f"employer-{n}@bench.example.com", f"{employer} office",
                    self.password_hash, "employer", "", employer, since, since, None)
        for client_id, name, key in self.payroll_clients:
            out.row("accounts", "payroll_clients", client_id, name, hashlib.sha256(key.encode()).hexdigest(),
                    key[:12], since, None, self.now - timedelta(hours=3))

    # --- work days (the bulk: written as text directly) --------------------------------------------

    def _work_days(self, rng: random.Random, out: Chunk, pid: str, records: list[Record]) -> None:
        placed = [r.info.code for r in records if not r.status.startswith("in_progress")]
        if placed:
            n = min(int(rng.expovariate(1 / WORK_DAYS_MEAN)), 700)
            if n:
                self._days(rng, out, pid, pid, None, placed, n)
        for record in records:
            if record.status == "in_progress_training_eligible":   # some days, fewer than placement asks
                self._days(rng, out, pid, pid, None, [record.info.code], ri(rng, 1, 15), within=365)
            elif record.status == "in_progress_not_training_eligible":   # none verified: a few waiting
                n = pick(rng, (0, 0, 0, 1, 2))
                if n:
                    self._days(rng, out, pid, pid, None, [record.info.code], n, pending_only=True)
        if rng.random() < 0.004:   # payroll days for an SSN nobody has yet: held
            k = self.people + rr(rng, 10 * self.people)
            index = ssn_index(self.identities.ssn(k), self.ssn_config)
            self._days(rng, out, "", f"held:{index}", (index, self.identities.last_name(rng)),
                       [records[0].info.code], ri(rng, 1, 12))

    def _days(self, rng, out, pid: str, owner: str, held: tuple | None, codes: list[str], n: int,
              pending_only: bool = False, within: int | None = None) -> None:
        """n days of one person (or, `held` = (SSN index, last name), of an SSN nobody has yet):
        the hot loop of the generator, so one f-string per row and random() for every draw."""
        rnd = rng.random
        day_iso, employer_keys, minutes, reviewers = self.day_iso, self.employer_keys, MINUTES, self.reviewers
        employers = len(employer_keys)
        usual = rng.sample(range(employers), 3)
        clients = [client for client, _, _ in self.payroll_clients]
        held_cols = f"{held[0]},{held[1]}" if held else ","
        many = len(codes)
        span = 39 if pending_only else within or YEARS_OF_WORK * 365
        offsets: set[int] = set()
        while len(offsets) < n:
            offsets.add(1 + int(rnd() * span))
        lines = []
        for offset in sorted(offsets, reverse=True):
            code = codes[0] if many == 1 else codes[int(rnd() ** 1.5 * many)]
            e = rnd()
            employer, key = employer_keys[usual[int(e * 3.75)] if e < 0.8 else int((e - 0.8) * 5 * employers)]
            work_date = day_iso[offset]
            created_offset = offset - 1 - int(rnd() * 10)
            if created_offset < 0:
                created_offset = 0
            created_on = day_iso[created_offset]
            created = f"{created_on}T1{4 + int(rnd() * 4)}:{minutes[int(rnd() * 60)]}:00+00:00"
            r = rnd()
            if not pending_only and (held or r < 0.85):
                tail = f"payroll,t,,{created},{created_on},,,{clients[int(r * 1000) % len(clients)]}"
            else:
                source = "ip_submitted" if pending_only or r < 0.93 else "employer_proof" if r < 0.98 else "staff"
                s = rnd()
                reviewed_offset = created_offset - int(s * 8) if created_offset >= 8 else 0
                by = reviewers[int(s * 1000) % len(reviewers)]
                reviewed_at = f"{day_iso[reviewed_offset]}T1{8 + int(s * 20) % 2}:{minutes[int(s * 6000) % 60]}" \
                              ":00+00:00"
                if pending_only or source == "ip_submitted" and offset < 45 and s < 0.4:
                    tail = "ip_submitted,f,,,,,,"
                elif source == "ip_submitted" and s > 0.92:
                    tail = f"ip_submitted,f,{by},{reviewed_at},,{DAY_REJECTIONS[int(s * 100) % 2]},,"
                else:
                    tail = f"{source},t,{by},{reviewed_at},{day_iso[reviewed_offset]},,,"
            lines.append(f"{uid(rng)},{pid},{held_cols},{code},{work_date},{employer},"
                         f"{PRODUCTIONS[int(rnd() * N_PRODUCTIONS)]},{HOURS[int(rnd() * 6)]},"
                         f"{'t' if rnd() < 0.9 else 'f'},{tail},{owner}|{work_date}|{key}|{code},{created}\n")
        out.lines.setdefault(("rosters", "work_days"), []).extend(lines)

    # --- training ---------------------------------------------------------------------------------

    def _completions(self, rng: random.Random, out: Chunk, pid: str, records: list[Record]) -> None:
        today = self.today
        started = [r for r in records if r.status != "in_progress_not_training_eligible"]
        done: dict[tuple[str, date], None] = {}
        if not started:
            if rng.random() < 0.5:
                done[("A", today - timedelta(days=ri(rng, 1, 200)))] = None
        else:
            first = min(r.applied_on for r in started)
            placed = min((r.placed_on for r in started if r.placed_on), default=None)
            supervisor = rng.random() < 0.2
            wanted = dict.fromkeys(c for r in started for c in r.info.courses)
            for code in self._overdue_courses(records):
                wanted.pop(code, None)
            wanted.update(dict.fromkeys(rng.sample(GENERAL_COURSES, ri(rng, 0, 3))))
            listed_only = all(r.info.roster == "training_list" and r.status.startswith("in_progress") for r in started)
            for code in wanted:
                if code == "HP":
                    if not listed_only:   # a training list is only harassment prevention: not taken yet
                        course = self.courses.get("HP2" if supervisor else "HP1")
                        self._renewals(rng, done, course, first + timedelta(days=ri(rng, 0, 15)),
                                       self._hp_lapses_on(records))
                    continue
                course = self.courses.get(code)
                if course is None or course.kind == "craft" and placed is None and code not in GENERAL_COURSES:
                    continue
                base = placed if course.kind == "craft" and placed else first
                self._renewals(rng, done, course, base + timedelta(days=ri(rng, 0, 15 if base == first else 80)))
            answered = min((on for code, on in done if code in ("HP1", "HP2")), default=None)
            if answered is not None:
                out.row("rosters", "questionnaire_answers", pid, "supervisor", supervisor, answered)
        for code, on in done:
            course = self.courses.get(code)
            expires = course.valid_through(on) if course else None
            in_person = course is not None and course.delivery == "in_person"
            by_staff = rng.random() < 0.05
            source = "staff" if by_staff else "in_person" if in_person else "online"
            score = None if in_person or by_staff else ri(rng, 70, 100)
            swept = datetime.combine(expires + timedelta(days=1), time(15), UTC) \
                if expires is not None and expires < today else None
            out.row("training", "completions", uid(rng), pid, code, on, expires, score, source, None, None,
                    at(on, rng), self.reviewers[0] if by_staff else None, swept)
            out.row("rosters", "completions", pid, code, on, expires)

    def _renewals(self, rng, done: dict, course, start: date, lapses_on: date | None = None) -> None:
        """A course, and for one with a refresher the renewals, each taken a little before the last
        one lapses: current, valid past the warning window, unless `lapses_on` says when the last
        one lapses (someone Approaching Deadlines, or Not Compliant, because of it)."""
        today, code = self.today, course.code
        start = min(start, today - timedelta(days=1))
        if course.refresher is None:
            done[(code, start)] = None
            return
        if lapses_on is not None:   # backwards from the completion whose validity ends that day
            on = lapses_on - timedelta(days=730)
            while course.valid_through(on) < lapses_on:
                on += timedelta(days=1)
            while course.valid_through(on) > lapses_on:
                on -= timedelta(days=1)
            on = min(on, today - timedelta(days=1))
            while True:
                done[(code, on)] = None
                period = (course.refresher.add_to(on) - on).days
                on -= timedelta(days=period - ri(rng, 5, 120))   # renewed 5-120 days before it lapsed
                if on < start - timedelta(days=60):
                    return
        on = start
        while True:
            done[(code, on)] = None
            following = course.refresher.add_to(on) - timedelta(days=ri(rng, 5, 120))
            if following >= today:
                break
            on = following
        if course.valid_through(on) < today + timedelta(days=WARNING_DAYS):
            renewed = today - timedelta(days=ri(rng, 1, 20))   # renewed within the warning window
            if renewed > on:
                done[(code, renewed)] = None

    def _expiring(self, info: ClassInfo) -> list[str]:
        return [t for t in info.documents if t in self.document_types and self.document_types[t].expires]

    def _share_the_lapse(self, records: list[Record]) -> None:
        """Harassment prevention is one course for all of a person's classifications: when it is
        about to lapse, every placed record of theirs is Approaching Deadlines, not just one."""
        lapses_on = self._hp_lapses_on(records)
        if lapses_on is not None and lapses_on >= self.today:
            for record in records:
                if record.status == "compliant":
                    record.status, record.lapses_on = "approaching_deadline", lapses_on

    def _overdue_courses(self, records: list[Record]) -> list[str]:
        """Someone Not Compliant in one classification and compliant in others: a course only that
        classification asks for (due 90 days after placement) was never taken."""
        if all(r.status == "not_compliant" for r in records if r.status in PLACED):
            return []
        overdue = []
        for record in records:
            if record.status == "not_compliant" and not self._expiring(record.info):
                others = {c for r in records if r is not record for c in r.info.courses}
                own = [c for c in record.info.courses if c not in others and c not in ("A", "C19", "HP")]
                overdue += own[:1]
        return overdue

    def _hp_lapses_on(self, records: list[Record]) -> date | None:
        """When harassment prevention lapses, if it is what makes a record Approaching Deadlines or
        Not Compliant (a classification asking for an expiring document lapses by the document)."""
        placed = [r for r in records if r.status in PLACED]
        lapsing = [r for r in placed if r.status == "approaching_deadline" and not self._expiring(r.info)]
        if lapsing:
            return min(r.lapses_on for r in lapsing)
        if placed and all(r.status == "not_compliant" for r in placed):
            causes = [r.lapses_on for r in placed if not self._expiring(r.info)]
            return min(causes) if causes else None
        return None

    # --- documents --------------------------------------------------------------------------------

    def _documents(self, rng: random.Random, out: Chunk, pid: str, records: list[Record], account_id) -> None:
        today = self.today
        wanted: dict[str, Record] = {}
        # a document two records ask for is one document: the record it makes lapse decides its dates
        for record in sorted(records, key=lambda r: LAPSE_ORDER.get(r.status, 9)):
            for document_type in record.info.documents:
                wanted.setdefault(document_type, record)
        if rng.random() < 0.55:
            wanted.setdefault("proof_of_employment", records[0])
        if rng.random() < 0.35:
            wanted.setdefault("other", records[-1])
        if rng.random() < 0.5:
            wanted.setdefault(pick(rng, ("food_handler_card", "forklift_certificate", "color_vision_test")), records[0])
        for document_type, record in wanted.items():
            kind = self.document_types.get(document_type)
            waiting = record.status.startswith("in_progress") and rng.random() < 0.5
            if kind is None or not kind.expires:
                on = min(record.placed_on or record.applied_on, today)
                if waiting:
                    on = today - timedelta(days=ri(rng, 0, 20))
                issued = on - timedelta(days=ri(rng, 0, 60)) if rng.random() < 0.5 else None
                self._attempts(rng, out, pid, account_id, document_type, record, on,
                               "pending_review" if waiting else "approved", issued, None)
                continue
            expires_on = self._document_expiry(rng, record)
            years = ri(rng, 1, 4)
            while expires_on - timedelta(days=365 * years) > today:
                years += 1
            issued = expires_on - timedelta(days=365 * years)
            history = []   # the renewals before this one, each issued as the one before it lapsed
            previous_expiry = issued - timedelta(days=ri(rng, 0, 20))
            for _ in range(ri(rng, 0, 2)):
                previous_issued = previous_expiry - timedelta(days=365 * ri(rng, 1, 4))
                if previous_issued < today - timedelta(days=10 * 365):
                    break
                history.append((previous_issued, previous_expiry))
                previous_expiry = previous_issued - timedelta(days=ri(rng, 0, 20))
            for old_issued, old_expiry in reversed(history):
                on = min(old_issued + timedelta(days=ri(rng, 0, 30)), today)
                self._document(rng, out, pid, account_id, document_type, record, on, "approved", old_issued,
                               old_expiry)
            on = today - timedelta(days=ri(rng, 0, 20)) if waiting else \
                min(issued + timedelta(days=ri(rng, 0, 30)), today)
            self._attempts(rng, out, pid, account_id, document_type, record, on,
                           "pending_review" if waiting else "approved", issued, expires_on)
            if record.status == "not_compliant" and rng.random() < 0.3:   # the renewal, sent, not yet reviewed
                renewed = today - timedelta(days=ri(rng, 0, 10))
                self._document(rng, out, pid, account_id, document_type, record, renewed, "pending_review",
                               renewed - timedelta(days=ri(rng, 0, 20)), renewed + timedelta(days=365 * 2))

    def _document_expiry(self, rng: random.Random, record: Record) -> date:
        """The current document's expiry: what makes the record lapse, or safely after today."""
        today = self.today
        if record.status in ("approaching_deadline", "not_compliant") and record.lapses_on is not None:
            return record.lapses_on
        if record.status == "closed":
            return today + timedelta(days=ri(rng, -900, 900))
        return today + timedelta(days=ri(rng, WARNING_DAYS, 1400))

    def _attempts(self, rng, out, pid, account_id, document_type, record, on, status, issued, expires_on) -> None:
        """Sometimes a rejected upload first (unreadable, the wrong paper), then the one that counts."""
        if rng.random() < 0.2:
            self._document(rng, out, pid, account_id, document_type, record, on - timedelta(days=ri(rng, 1, 20)),
                           "rejected", issued, expires_on)
        self._document(rng, out, pid, account_id, document_type, record, on, status, issued, expires_on)

    def _document(self, rng, out, pid, account_id, document_type, record, uploaded_on, status, issued,
                  expires_on) -> None:
        today = self.today
        doc_id = uid(rng)
        content_type, extension = CONTENT_TYPES[rr(rng, 3)]
        source = "staff" if rng.random() < 0.06 else "email" if rng.random() < 0.1 else "portal"
        uploaded_by = account_id if source == "portal" else self.reviewers[1] if source == "staff" else None
        uploaded_at = at(uploaded_on, rng)
        reviewed_at = reviewed_by = reason = swept = None
        if status != "pending_review":
            reviewed_at = min(uploaded_at + timedelta(hours=ri(rng, 2, 96)), self.now)
            reviewed_by = self.reviewers[rr(rng, len(self.reviewers))]
        if status == "rejected":
            reason = pick(rng, REJECTIONS)
        elif status == "approved" and expires_on is not None and expires_on < today:
            status = "expired"   # the daily sweep stored it and sent documents.document_expired
            swept = datetime.combine(expires_on + timedelta(days=1), time(15), UTC)
        out.row("documents", "documents", doc_id, pid, document_type,
                record.info.code if rng.random() < 0.7 else None,
                f"{document_type}_{uploaded_on:%Y%m%d}.{extension}", ri(rng, 40_000, 4_000_000), content_type,
                f"{rng.getrandbits(256):064x}", f"documents/{pid}/{doc_id}", status, reason, issued, expires_on,
                uploaded_at, uploaded_by, reviewed_at, reviewed_by, source, swept, None)
        if status != "pending_review":
            approved_on = reviewed_at.date() if status in ("approved", "expired") else None
            out.row("rosters", "document_facts", doc_id, pid, document_type, status, approved_on, expires_on)

    # --- the Message Center -----------------------------------------------------------------------

    def _messages(self, rng: random.Random, out: Chunk, pid: str, records: list[Record], registered_on) -> None:
        today = self.today
        since = max(registered_on, today - timedelta(days=YEARS_OF_WORK * 365))
        span = max(1, (today - since).days)
        categories = rng.choices(*MESSAGE_CATEGORIES, k=ri(rng, 4, 16))
        for category in categories:
            record = records[rr(rng, len(records))]
            name, code = record.info.name, record.info.code
            created = at(since + timedelta(days=int(span * rng.random() ** 0.7)), rng)
            deadline = None
            link = f"/portal/classifications/{code}"
            if category == "deadline":
                deadline = created.date() + timedelta(days=pick(rng, (60, 30, 7, 0)))
                subject = f"Deadline approaching: {name}"
                body = (f"A requirement of {name} is due on {deadline:%m/%d/%Y}. Complete it by then to stay "
                        "on the roster; the Hub shows what is missing.")
            elif category == "roster":
                subject = f"Your status changed: {name}"
                body = f"Your record for {name} is now {STATUS_LABELS[record.status]}."
            elif category == "training":
                course = pick(rng, record.info.courses or ("A",))
                subject, link = f"Course completed: {course}", "/portal/training"
                body = f"You completed course {course}. It is on your transcript now."
            elif category == "document":
                subject, link = "Your document was reviewed", "/portal/documents"
                body = "Contract Services reviewed a document you sent. Open Documents to see the outcome."
            elif category == "account":
                subject, link = "Your contact details were changed", "/portal/account"
                body = "The contact details of your account changed. If this was not you, call Contract Services."
            elif category == "case":
                subject, link = "We answered your question", "/portal/cases"
                body = "Contract Services answered your question. Open Cases to read the answer."
            else:
                subject, link = "Bulletin: safety reminder", None
                body = "A reminder from Contract Services: heat illness prevention applies on every set."
            read = created + timedelta(hours=ri(rng, 1, 240)) if rng.random() < 0.75 else None
            if read is not None and read > self.now:
                read = None
            archived = read + timedelta(days=ri(rng, 1, 30)) if read and rng.random() < 0.12 else None
            if archived is not None and archived > self.now:
                archived = None
            out.row("notifications", "messages", uid(rng), pid, category, subject, body, deadline, created, read,
                    link, archived)

    def _sample(self, i, pid, il, first, last, email, records) -> None:
        statuses = {r.status for r in records}
        if i < 20 or i % max(1, self.people // 80) == 0 or statuses - self._sampled_statuses:
            self._sampled_statuses |= statuses
            self.samples.append({"index": i, "person_id": pid, "il_number": il, "first_name": first,
                                 "last_name": last, "email": email,
                                 "records": [{"classification_code": r.info.code, "status": r.status}
                                             for r in records]})


def _cumulative(weights):
    total = 0
    for weight in weights:
        total += weight
        yield total


def _pick(rng: random.Random, cumulative: list[int]) -> int:
    return bisect_right(cumulative, rng.random() * cumulative[-1])

