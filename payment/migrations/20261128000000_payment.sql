-- migrate:up
CREATE TABLE wallets (
    user_id bigint PRIMARY KEY CHECK (user_id > 0),
    address text NOT NULL UNIQUE,
    -- Fernet token of the private key; the key itself never leaves the service.
    sealed_key bytea NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now()
);

-- The BasicPayments contract this service deployed on each chain, reused after a restart.
CREATE TABLE deployments (
    chain_id numeric(78, 0) NOT NULL,
    owner text NOT NULL,
    address text NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (chain_id, owner)
);

-- Next nonce of every account this service signs for (read and bumped under its advisory lock).
CREATE TABLE nonces (
    chain_id numeric(78, 0) NOT NULL,
    address text NOT NULL,
    next_nonce bigint NOT NULL CHECK (next_nonce >= 0),
    PRIMARY KEY (chain_id, address)
);

-- One row per money movement. step: which transaction comes next or is awaited.
CREATE TABLE ledger (
    id bigserial PRIMARY KEY,
    kind text NOT NULL CHECK (kind IN ('transfer', 'withdrawal', 'top_up', 'gas_grant')),
    idempotency_key text NOT NULL,
    request_hash text NOT NULL,
    sender_id bigint,
    receiver_id bigint,
    sender_address text NOT NULL,
    receiver_address text NOT NULL,
    amount_wei numeric(78, 0) NOT NULL CHECK (amount_wei > 0),
    status text NOT NULL DEFAULT 'pending'
        CHECK (status IN ('pending', 'submitted', 'confirmed', 'failed')),
    step text NOT NULL
        CHECK (step IN ('deposit', 'deposit_sent', 'payout', 'payout_sent', 'done')),
    deposit_tx_hash text,
    deposit_raw_tx bytea,
    payout_tx_hash text,
    payout_raw_tx bytea,
    submitted_at timestamptz,
    failure_reason text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    UNIQUE (kind, idempotency_key)
);
CREATE INDEX ledger_sender_address ON ledger (sender_address, id DESC);
CREATE INDEX ledger_receiver_address ON ledger (receiver_address, id DESC);
CREATE INDEX ledger_sender_id ON ledger (sender_id, id DESC);
CREATE INDEX ledger_receiver_id ON ledger (receiver_id, id DESC);
CREATE INDEX ledger_amount ON ledger (amount_wei);
CREATE INDEX ledger_status ON ledger (status, id DESC);
CREATE INDEX ledger_kind ON ledger (kind, id DESC);
-- The confirmation tracker scans only unfinished rows.
CREATE INDEX ledger_open ON ledger (updated_at) WHERE status IN ('pending', 'submitted');

-- Events for the metrics pipeline, written in the same transaction as the change.
CREATE TABLE outbox (
    id bigserial PRIMARY KEY,
    event jsonb NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    sent_at timestamptz
);
CREATE INDEX outbox_unsent ON outbox (id) WHERE sent_at IS NULL;

-- migrate:down
DROP TABLE outbox;
DROP TABLE ledger;
DROP TABLE nonces;
DROP TABLE deployments;
DROP TABLE wallets;
