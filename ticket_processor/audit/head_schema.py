"""The statements that make an empty embedded audit store at the migrations' head
(written by ``python -m scripts.figures audit_head_schema`` from a store Alembic created: not by
hand).

``audit/upgrade.py`` creates a missing store with them, in one ``BEGIN IMMEDIATE``
transaction, then ``ANALYZE`` as Alembic's upgrade ends; the FTS5 table's own tables and the
indexes SQLite makes for a key follow from them.
"""

from __future__ import annotations

VERSION = "0006"
STATEMENTS: tuple[str, ...] = (
    (
        "CREATE TABLE alembic_version (\n"
        "\tversion_num VARCHAR(32) NOT NULL, \n"
        "\tCONSTRAINT alembic_version_pkc PRIMARY KEY (version_num)\n"
        ")"
    ),
    (
        "CREATE TABLE corrections (\n"
        "\tid INTEGER NOT NULL, \n"
        "\taccount VARCHAR(200) DEFAULT '' NOT NULL, \n"
        "\tticket_id BIGINT NOT NULL, \n"
        "\tat DATETIME NOT NULL, \n"
        "\trun_id VARCHAR(100) DEFAULT '' NOT NULL, \n"
        "\tsource VARCHAR(32) NOT NULL, \n"
        "\tfield VARCHAR(100) NOT NULL, \n"
        "\tticketbot VARCHAR(200), \n"
        "\tagent VARCHAR(200), \n"
        "\tagreed BOOLEAN, \n"
        "\tPRIMARY KEY (id), \n"
        "\tCONSTRAINT uq_corrections_identity UNIQUE (account, ticket_id, field, source, "
        "run_id)\n"
        ")"
    ),
    "CREATE INDEX ix_corrections_field ON corrections (account, field, at)",
    "CREATE INDEX ix_corrections_ticket ON corrections (account, ticket_id, at)",
    (
        "CREATE TABLE decisions (\n"
        "\tid INTEGER NOT NULL, \n"
        "\taccount VARCHAR(200) DEFAULT '' NOT NULL, \n"
        "\trun_id VARCHAR(100) NOT NULL, \n"
        "\tticket_id BIGINT NOT NULL, \n"
        "\tmessage_id BIGINT DEFAULT '0' NOT NULL, \n"
        "\tat DATETIME NOT NULL, \n"
        "\thelpdesk VARCHAR(100) DEFAULT '' NOT NULL, \n"
        "\tmode VARCHAR(16) DEFAULT 'normal' NOT NULL, \n"
        "\tkind VARCHAR(16) DEFAULT 'triage' NOT NULL, \n"
        "\tstatus VARCHAR(16) DEFAULT 'planned' NOT NULL, \n"
        "\tsubject TEXT, \n"
        "\tengine VARCHAR(100), \n"
        "\tmodel VARCHAR(100), \n"
        "\tfallback BOOLEAN DEFAULT 0 NOT NULL, \n"
        "\tcategory VARCHAR(100), \n"
        "\tsubcategory VARCHAR(100), \n"
        "\turgency VARCHAR(32), \n"
        "\tsentiment VARCHAR(32), \n"
        "\tlanguage VARCHAR(32), \n"
        "\tconfidence FLOAT, \n"
        "\tcategory_confidence FLOAT, \n"
        "\tsubcategory_confidence FLOAT, \n"
        "\turgency_confidence FLOAT, \n"
        "\tsentiment_confidence FLOAT, \n"
        "\tlanguage_confidence FLOAT, \n"
        "\tcategory_decision VARCHAR(16), \n"
        "\tsubcategory_decision VARCHAR(16), \n"
        "\turgency_decision VARCHAR(16), \n"
        "\tsentiment_decision VARCHAR(16), \n"
        "\tlanguage_decision VARCHAR(16), \n"
        "\tdecision VARCHAR(16), \n"
        "\tfield_confidence JSON, \n"
        "\tfield_decisions JSON, \n"
        "\troute JSON, \n"
        "\tescalated BOOLEAN DEFAULT 0 NOT NULL, \n"
        "\tarticles JSON, \n"
        "\tfields JSON, \n"
        "\tanswer TEXT, \n"
        "\tanswer_state VARCHAR(16), \n"
        "\ttags JSON, \n"
        "\tpriority VARCHAR(16), \n"
        "\tprevious_priority VARCHAR(16), \n"
        "\tgroup_id BIGINT, \n"
        "\tgroup_name VARCHAR(200), \n"
        "\tnote_id VARCHAR(100), \n"
        "\treply_id VARCHAR(100), \n"
        "\tticket_url TEXT, \n"
        "\terror TEXT, \n"
        "\tcorrected BOOLEAN DEFAULT 0 NOT NULL, \n"
        "\treviewed VARCHAR(16), \n"
        "\toutcome VARCHAR(16), \n"
        "\tevent JSON, risk VARCHAR(16), risk_probability FLOAT, \n"
        "\tPRIMARY KEY (id), \n"
        "\tCONSTRAINT uq_decisions_identity UNIQUE (account, run_id, ticket_id, "
        "message_id)\n"
        ")"
    ),
    "CREATE INDEX ix_decisions_at ON decisions (account, at)",
    "CREATE INDEX ix_decisions_category ON decisions (account, category, at)",
    "CREATE INDEX ix_decisions_decision ON decisions (account, decision, at)",
    "CREATE INDEX ix_decisions_engine ON decisions (account, engine, at)",
    "CREATE INDEX ix_decisions_run ON decisions (account, run_id, at)",
    "CREATE INDEX ix_decisions_ticket ON decisions (account, ticket_id, at)",
    "CREATE INDEX ix_decisions_urgency ON decisions (account, urgency, at)",
    (
        "CREATE TABLE reverts (\n"
        "\tid INTEGER NOT NULL, \n"
        "\taccount VARCHAR(200) DEFAULT '' NOT NULL, \n"
        "\trun_id VARCHAR(100) NOT NULL, \n"
        "\treverted_run_id VARCHAR(100) NOT NULL, \n"
        "\tticket_id BIGINT NOT NULL, \n"
        "\tat DATETIME NOT NULL, \n"
        "\tok BOOLEAN NOT NULL, \n"
        "\tdetail JSON, \n"
        "\tPRIMARY KEY (id), \n"
        "\tCONSTRAINT uq_reverts_identity UNIQUE (account, run_id, reverted_run_id, "
        "ticket_id)\n"
        ")"
    ),
    "CREATE INDEX ix_reverts_ticket ON reverts (account, ticket_id, at)",
    (
        "CREATE TABLE reviews (\n"
        "\tid INTEGER NOT NULL, \n"
        "\taccount VARCHAR(200) DEFAULT '' NOT NULL, \n"
        "\tdecision_id INTEGER, \n"
        "\tticket_id BIGINT NOT NULL, \n"
        "\tat DATETIME NOT NULL, \n"
        "\treviewer VARCHAR(200) DEFAULT '' NOT NULL, \n"
        "\taction VARCHAR(16) NOT NULL, \n"
        "\tfield VARCHAR(100) NOT NULL, \n"
        "\tticketbot VARCHAR(200), \n"
        "\tvalue VARCHAR(200), \n"
        "\trun_id VARCHAR(100), \n"
        "\twritten BOOLEAN DEFAULT 0 NOT NULL, \n"
        "\tPRIMARY KEY (id)\n"
        ")"
    ),
    "CREATE INDEX ix_reviews_decision ON reviews (decision_id)",
    "CREATE INDEX ix_reviews_ticket ON reviews (account, ticket_id, at)",
    (
        "CREATE TABLE runs (\n"
        "\tid INTEGER NOT NULL, \n"
        "\taccount VARCHAR(200) DEFAULT '' NOT NULL, \n"
        "\trun_id VARCHAR(100) NOT NULL, \n"
        "\thelpdesk VARCHAR(100) DEFAULT '' NOT NULL, \n"
        "\tmode VARCHAR(16) DEFAULT 'normal' NOT NULL, \n"
        "\tstarted_at DATETIME, \n"
        "\tfinished_at DATETIME, \n"
        "\tstatus VARCHAR(16), \n"
        "\texit_code INTEGER, \n"
        "\ttickets_seen INTEGER DEFAULT '0' NOT NULL, \n"
        "\ttriaged INTEGER DEFAULT '0' NOT NULL, \n"
        "\tfailed INTEGER DEFAULT '0' NOT NULL, \n"
        "\tskipped INTEGER DEFAULT '0' NOT NULL, \n"
        "\tfallback INTEGER DEFAULT '0' NOT NULL, \n"
        "\tcost_usd FLOAT DEFAULT '0' NOT NULL, \n"
        "\tengine VARCHAR(100), \n"
        "\tversion VARCHAR(100), \n"
        "\tstarted JSON, \n"
        "\tsummary JSON, \n"
        "\tPRIMARY KEY (id), \n"
        "\tCONSTRAINT uq_runs_account_run UNIQUE (account, run_id)\n"
        ")"
    ),
    "CREATE INDEX ix_runs_started ON runs (account, started_at)",
    (
        "CREATE TABLE writes (\n"
        "\tid INTEGER NOT NULL, \n"
        "\taccount VARCHAR(200) DEFAULT '' NOT NULL, \n"
        "\trun_id VARCHAR(100) NOT NULL, \n"
        "\tticket_id BIGINT NOT NULL, \n"
        "\tmessage_id BIGINT DEFAULT '0' NOT NULL, \n"
        "\tat DATETIME NOT NULL, \n"
        "\thelpdesk VARCHAR(100) DEFAULT '' NOT NULL, \n"
        "\tkind VARCHAR(16) NOT NULL, \n"
        "\tok BOOLEAN NOT NULL, \n"
        "\ttags_added JSON, \n"
        "\ttags_removed JSON, \n"
        "\tpriority VARCHAR(16), \n"
        "\tgroup_id BIGINT, \n"
        "\tfields JSON, \n"
        "\tnote BOOLEAN DEFAULT 0 NOT NULL, \n"
        "\tnote_id VARCHAR(100), \n"
        "\treply_id VARCHAR(100), \n"
        "\terror TEXT, \n"
        "\tPRIMARY KEY (id), \n"
        "\tCONSTRAINT uq_writes_identity UNIQUE (account, run_id, ticket_id, message_id, "
        "kind)\n"
        ")"
    ),
    "CREATE INDEX ix_writes_ticket ON writes (account, ticket_id, at)",
    "CREATE INDEX ix_decisions_confidence ON decisions (account, confidence, at)",
    "CREATE INDEX ix_decisions_subject ON decisions (account, at, id, subject)",
    "CREATE VIRTUAL TABLE decisions_text USING fts5(subject, tokenize='trigram')",
    (
        "CREATE TRIGGER decisions_text_insert AFTER INSERT ON decisions WHEN new.subject "
        "IS NOT NULL BEGIN INSERT INTO decisions_text(rowid, subject) VALUES (new.id, "
        "new.subject); END"
    ),
    (
        "CREATE TRIGGER decisions_text_delete AFTER DELETE ON decisions BEGIN DELETE FROM "
        "decisions_text WHERE rowid = old.id; END"
    ),
    (
        "CREATE TRIGGER decisions_text_update AFTER UPDATE OF subject ON decisions BEGIN "
        "DELETE FROM decisions_text WHERE rowid = old.id; INSERT INTO "
        "decisions_text(rowid, subject) SELECT new.id, new.subject WHERE new.subject IS "
        "NOT NULL; END"
    ),
    "CREATE INDEX ix_decisions_sentiment ON decisions (account, sentiment, at)",
    "CREATE INDEX ix_decisions_language ON decisions (account, language, at)",
    "CREATE INDEX ix_decisions_risk ON decisions (account, risk, at)",
    (
        "CREATE TABLE ratings (\n"
        "\tid INTEGER NOT NULL, \n"
        "\taccount VARCHAR(200) DEFAULT '' NOT NULL, \n"
        "\thelpdesk VARCHAR(100) DEFAULT '' NOT NULL, \n"
        "\tticket_id BIGINT NOT NULL, \n"
        "\tat DATETIME NOT NULL, \n"
        "\tsource VARCHAR(16) NOT NULL, \n"
        "\trater VARCHAR(200) DEFAULT '' NOT NULL, \n"
        "\ttarget VARCHAR(32) NOT NULL, \n"
        "\titem VARCHAR(200) DEFAULT '' NOT NULL, \n"
        "\tverdict VARCHAR(16) NOT NULL, \n"
        "\treason TEXT, \n"
        "\tvalue VARCHAR(200), \n"
        "\tticketbot VARCHAR(200), \n"
        "\tdecision_id INTEGER, \n"
        "\tPRIMARY KEY (id), \n"
        "\tCONSTRAINT uq_ratings_identity UNIQUE (account, helpdesk, ticket_id, source, "
        "rater, target, item)\n"
        ")"
    ),
    "CREATE INDEX ix_ratings_ticket ON ratings (account, ticket_id, at)",
    "CREATE INDEX ix_ratings_at ON ratings (account, at)",
    (
        "CREATE TABLE sla_clocks (\n"
        "\tid INTEGER NOT NULL, \n"
        "\taccount VARCHAR(200) DEFAULT '' NOT NULL, \n"
        "\thelpdesk VARCHAR(100) DEFAULT '' NOT NULL, \n"
        "\tticket_id BIGINT NOT NULL, \n"
        "\tmetric VARCHAR(32) NOT NULL, \n"
        "\tat DATETIME NOT NULL, \n"
        "\trun_id VARCHAR(100) DEFAULT '' NOT NULL, \n"
        "\tstage VARCHAR(16) NOT NULL, \n"
        "\tbreach_at DATETIME, \n"
        "\tbusiness_hours BOOLEAN DEFAULT 0 NOT NULL, \n"
        "\tat_risk BOOLEAN DEFAULT 0 NOT NULL, \n"
        "\tprobability FLOAT, \n"
        "\tqueue_ahead INTEGER, \n"
        "\tPRIMARY KEY (id), \n"
        "\tCONSTRAINT uq_sla_clocks_identity UNIQUE (account, helpdesk, ticket_id, "
        "metric)\n"
        ")"
    ),
    "CREATE INDEX ix_sla_clocks_at ON sla_clocks (account, helpdesk, at)",
    "CREATE INDEX ix_sla_clocks_ticket ON sla_clocks (account, ticket_id)",
)
