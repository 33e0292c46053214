-- SIP calls (kallelse till samordnad individuell plan): the call in a case and each called
-- organisation's answer. Times are integer microseconds since the epoch, UTC; ids are UUID
-- text; lists are JSON text; dates are 'YYYY-MM-DD' text.

CREATE TABLE sip_calls (
    id TEXT PRIMARY KEY,
    case_id TEXT NOT NULL REFERENCES cases (id),
    individual_id TEXT NOT NULL REFERENCES individuals (id),
    -- The case's owning organisation, which calls.
    caller_organisation_id TEXT NOT NULL REFERENCES organisations (id),
    caller_user_id TEXT NOT NULL REFERENCES users (id),
    state TEXT NOT NULL,
    purpose_text TEXT NOT NULL,
    questions TEXT NOT NULL,
    -- JSON: [{"starts_at": micros, "ends_at": micros}]
    proposed_times TEXT NOT NULL,
    -- JSON: [{"name": "...", "role": "individual" | "relative" | "other"}]; never in e-mail.
    attendees TEXT NOT NULL,
    requested_by_individual_on TEXT,
    -- The booked SIP meeting and the plan adopted from it.
    meeting_id TEXT,
    meeting_on TEXT,
    plan_id TEXT,
    called_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
);
CREATE INDEX sip_calls_case_idx ON sip_calls (case_id);
CREATE INDEX sip_calls_caller_idx ON sip_calls (caller_organisation_id, state);

-- Each called organisation and its answer.
CREATE TABLE sip_call_parties (
    call_id TEXT NOT NULL REFERENCES sip_calls (id),
    organisation_id TEXT NOT NULL REFERENCES organisations (id),
    obligation TEXT NOT NULL,
    answer TEXT NOT NULL,
    answered_at BIGINT,
    answered_by_user_id TEXT REFERENCES users (id),
    -- JSON: the user ids of who comes.
    coming TEXT NOT NULL,
    proposed_starts_at BIGINT,
    proposed_ends_at BIGINT,
    decline_reason TEXT,
    answer_text TEXT,
    chased_at BIGINT,
    PRIMARY KEY (call_id, organisation_id)
);
CREATE INDEX sip_call_parties_org_idx ON sip_call_parties (organisation_id, answer);
