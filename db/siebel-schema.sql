-- Siebel Energy tables the product captures (DESIGN §3), as a PostgreSQL stand-in for Siebel's
-- Oracle schema. Column names are Siebel's (folded to lower case, as PostgreSQL does with unquoted
-- identifiers; the product compares column names case-insensitively, so the Oracle connector's
-- upper-case columns read the same). Siebel enforces referential integrity in its application
-- layer, not in the database, so there are no foreign keys: rows of one business transaction may
-- be written in any order, which the product must cope with (R7).
--
-- Idempotent: safe to run on every stack start. Run as a superuser (or the database owner).

CREATE SCHEMA IF NOT EXISTS siebel;
SET search_path = siebel;

-- Columns every Siebel table carries.
-- row_id VARCHAR(15) like '1-4MS-3423'; modification_num is Siebel's optimistic-lock counter.

CREATE TABLE IF NOT EXISTS s_org_ext (            -- account
    row_id            VARCHAR(15)   PRIMARY KEY,
    created           TIMESTAMP(0)  NOT NULL DEFAULT now(),
    created_by        VARCHAR(15)   NOT NULL DEFAULT '0-1',
    last_upd          TIMESTAMP(0)  NOT NULL DEFAULT now(),
    last_upd_by       VARCHAR(15)   NOT NULL DEFAULT '0-1',
    modification_num  NUMERIC(10)   NOT NULL DEFAULT 0,
    conflict_id       VARCHAR(15)   NOT NULL DEFAULT '0',
    par_row_id        VARCHAR(15)   NOT NULL,     -- party id (S_PARTY); S_PARTY_PER.PARTY_ID points here
    name              VARCHAR(100)  NOT NULL,
    loc               VARCHAR(50),                -- site, part of the account's user key
    ou_num            VARCHAR(30),                -- account number
    accnt_type_cd     VARCHAR(30),                -- Account Class: Customer, Billing, Service, ...
    ou_type_cd        VARCHAR(30),                -- Residential / Business
    cust_stat_cd      VARCHAR(30),
    par_ou_id         VARCHAR(15),                -- parent account (hierarchy)
    pr_addr_id        VARCHAR(15),
    pr_con_id         VARCHAR(15),
    pr_bill_prfl_id   VARCHAR(15),
    main_ph_num       VARCHAR(40),
    main_email_addr   VARCHAR(100),
    tax_iden_num      VARCHAR(30),
    base_curcy_cd     VARCHAR(20),
    lang_id           VARCHAR(15),
    x_marketing_seg   VARCHAR(30)                 -- a marketing field the mapping ignores (R5)
);

CREATE TABLE IF NOT EXISTS s_contact (            -- contact / person
    row_id            VARCHAR(15)   PRIMARY KEY,
    created           TIMESTAMP(0)  NOT NULL DEFAULT now(),
    created_by        VARCHAR(15)   NOT NULL DEFAULT '0-1',
    last_upd          TIMESTAMP(0)  NOT NULL DEFAULT now(),
    last_upd_by       VARCHAR(15)   NOT NULL DEFAULT '0-1',
    modification_num  NUMERIC(10)   NOT NULL DEFAULT 0,
    conflict_id       VARCHAR(15)   NOT NULL DEFAULT '0',
    par_row_id        VARCHAR(15),
    fst_name          VARCHAR(50),
    last_name         VARCHAR(50)   NOT NULL,
    mid_name          VARCHAR(50),
    email_addr        VARCHAR(100),
    home_ph_num       VARCHAR(40),
    work_ph_num       VARCHAR(40),
    cell_ph_num       VARCHAR(40),
    fax_ph_num        VARCHAR(40),
    soc_security_num  VARCHAR(20),
    birth_dt          DATE,
    pref_lang_id      VARCHAR(15),
    pr_per_addr_id    VARCHAR(15),
    pr_dept_ou_id     VARCHAR(15)
);

CREATE TABLE IF NOT EXISTS s_party_per (          -- account-contact link
    row_id            VARCHAR(15)   PRIMARY KEY,
    created           TIMESTAMP(0)  NOT NULL DEFAULT now(),
    created_by        VARCHAR(15)   NOT NULL DEFAULT '0-1',
    last_upd          TIMESTAMP(0)  NOT NULL DEFAULT now(),
    last_upd_by       VARCHAR(15)   NOT NULL DEFAULT '0-1',
    modification_num  NUMERIC(10)   NOT NULL DEFAULT 0,
    conflict_id       VARCHAR(15)   NOT NULL DEFAULT '0',
    party_id          VARCHAR(15)   NOT NULL,     -- account's PAR_ROW_ID
    person_id         VARCHAR(15)   NOT NULL,     -- contact ROW_ID
    rel_type_cd       VARCHAR(30),
    start_dt          DATE,
    end_dt            DATE
);

CREATE TABLE IF NOT EXISTS s_addr_per (           -- address
    row_id            VARCHAR(15)   PRIMARY KEY,
    created           TIMESTAMP(0)  NOT NULL DEFAULT now(),
    created_by        VARCHAR(15)   NOT NULL DEFAULT '0-1',
    last_upd          TIMESTAMP(0)  NOT NULL DEFAULT now(),
    last_upd_by       VARCHAR(15)   NOT NULL DEFAULT '0-1',
    modification_num  NUMERIC(10)   NOT NULL DEFAULT 0,
    conflict_id       VARCHAR(15)   NOT NULL DEFAULT '0',
    addr              VARCHAR(200)  NOT NULL,
    addr_line_2       VARCHAR(100),
    addr_line_3       VARCHAR(100),
    city              VARCHAR(50),
    county            VARCHAR(50),
    state             VARCHAR(10),
    zipcode           VARCHAR(30),
    country           VARCHAR(30),
    addr_type_cd      VARCHAR(30)
);

CREATE TABLE IF NOT EXISTS s_con_addr (           -- contact/account-address link
    row_id            VARCHAR(15)   PRIMARY KEY,
    created           TIMESTAMP(0)  NOT NULL DEFAULT now(),
    created_by        VARCHAR(15)   NOT NULL DEFAULT '0-1',
    last_upd          TIMESTAMP(0)  NOT NULL DEFAULT now(),
    last_upd_by       VARCHAR(15)   NOT NULL DEFAULT '0-1',
    modification_num  NUMERIC(10)   NOT NULL DEFAULT 0,
    conflict_id       VARCHAR(15)   NOT NULL DEFAULT '0',
    contact_id        VARCHAR(15),
    accnt_id          VARCHAR(15),
    addr_per_id       VARCHAR(15)   NOT NULL,
    main_addr_flg     CHAR(1)       NOT NULL DEFAULT 'N',
    bill_addr_flg     CHAR(1)       NOT NULL DEFAULT 'N',
    start_dt          DATE,
    end_dt            DATE
);

CREATE TABLE IF NOT EXISTS s_inv_prof (           -- billing profile
    row_id            VARCHAR(15)   PRIMARY KEY,
    created           TIMESTAMP(0)  NOT NULL DEFAULT now(),
    created_by        VARCHAR(15)   NOT NULL DEFAULT '0-1',
    last_upd          TIMESTAMP(0)  NOT NULL DEFAULT now(),
    last_upd_by       VARCHAR(15)   NOT NULL DEFAULT '0-1',
    modification_num  NUMERIC(10)   NOT NULL DEFAULT 0,
    conflict_id       VARCHAR(15)   NOT NULL DEFAULT '0',
    accnt_id          VARCHAR(15)   NOT NULL,
    name              VARCHAR(100)  NOT NULL,
    primary_flg       CHAR(1)       NOT NULL DEFAULT 'N',
    status_cd         VARCHAR(30),
    pay_method        VARCHAR(30),                -- Check, Auto Debit, Credit Card, ...
    bill_freq         VARCHAR(30),
    bill_cycle        VARCHAR(30),
    bill_media        VARCHAR(30),                -- Paper, Email, ...
    bill_type         VARCHAR(30),                -- Detail / Summary
    email_bill_to     VARCHAR(100),
    contact_id        VARCHAR(15),
    addr_id           VARCHAR(15),
    budget_bill_flg   CHAR(1)       NOT NULL DEFAULT 'N',
    pay_holder_name   VARCHAR(100),               -- bank account / card holder
    pay_token         VARCHAR(100),               -- tokenised bank account or card number
    pay_issuer        VARCHAR(50)                 -- bank or card issuer
);

CREATE TABLE IF NOT EXISTS s_stmt_prof (          -- statement profile: secondary bill recipient
    row_id            VARCHAR(15)   PRIMARY KEY,
    created           TIMESTAMP(0)  NOT NULL DEFAULT now(),
    created_by        VARCHAR(15)   NOT NULL DEFAULT '0-1',
    last_upd          TIMESTAMP(0)  NOT NULL DEFAULT now(),
    last_upd_by       VARCHAR(15)   NOT NULL DEFAULT '0-1',
    modification_num  NUMERIC(10)   NOT NULL DEFAULT 0,
    conflict_id       VARCHAR(15)   NOT NULL DEFAULT '0',
    accnt_id          VARCHAR(15)   NOT NULL,
    contact_id        VARCHAR(15),
    addr_id           VARCHAR(15),
    copies            NUMERIC(3)    NOT NULL DEFAULT 1,
    bill_media        VARCHAR(30),
    bill_type         VARCHAR(30),
    email_bill_to     VARCHAR(100),
    language          VARCHAR(15),
    vendor            VARCHAR(50)
);

CREATE TABLE IF NOT EXISTS s_order (              -- order header
    row_id            VARCHAR(15)   PRIMARY KEY,
    created           TIMESTAMP(0)  NOT NULL DEFAULT now(),
    created_by        VARCHAR(15)   NOT NULL DEFAULT '0-1',
    last_upd          TIMESTAMP(0)  NOT NULL DEFAULT now(),
    last_upd_by       VARCHAR(15)   NOT NULL DEFAULT '0-1',
    modification_num  NUMERIC(10)   NOT NULL DEFAULT 0,
    conflict_id       VARCHAR(15)   NOT NULL DEFAULT '0',
    order_num         VARCHAR(30)   NOT NULL,
    rev_num           NUMERIC(10)   NOT NULL DEFAULT 1,
    status_cd         VARCHAR(30),                -- Pending, Submitted, Open, Cancelled, ...
    accnt_id          VARCHAR(15),
    bill_accnt_id     VARCHAR(15),
    serv_accnt_id     VARCHAR(15),
    bill_profile_id   VARCHAR(15)
);

CREATE TABLE IF NOT EXISTS s_order_item (         -- order line
    row_id            VARCHAR(15)   PRIMARY KEY,
    created           TIMESTAMP(0)  NOT NULL DEFAULT now(),
    created_by        VARCHAR(15)   NOT NULL DEFAULT '0-1',
    last_upd          TIMESTAMP(0)  NOT NULL DEFAULT now(),
    last_upd_by       VARCHAR(15)   NOT NULL DEFAULT '0-1',
    modification_num  NUMERIC(10)   NOT NULL DEFAULT 0,
    conflict_id       VARCHAR(15)   NOT NULL DEFAULT '0',
    order_id          VARCHAR(15)   NOT NULL,
    ln_num            NUMERIC(10)   NOT NULL DEFAULT 1,
    prod_id           VARCHAR(15),
    action_cd         VARCHAR(30),                -- Add, Update, Delete, -
    status_cd         VARCHAR(30),
    bill_accnt_id     VARCHAR(15),
    serv_accnt_id     VARCHAR(15),
    bill_profile_id   VARCHAR(15),
    root_order_item_id VARCHAR(15)
);

-- Siebel's own lookup indexes on the foreign-key columns the product joins on.
CREATE INDEX IF NOT EXISTS s_party_per_f1 ON s_party_per (party_id);
CREATE INDEX IF NOT EXISTS s_party_per_f2 ON s_party_per (person_id);
CREATE INDEX IF NOT EXISTS s_con_addr_f1 ON s_con_addr (accnt_id);
CREATE INDEX IF NOT EXISTS s_con_addr_f2 ON s_con_addr (contact_id);
CREATE INDEX IF NOT EXISTS s_inv_prof_f1 ON s_inv_prof (accnt_id);
CREATE INDEX IF NOT EXISTS s_stmt_prof_f1 ON s_stmt_prof (accnt_id);
CREATE INDEX IF NOT EXISTS s_order_item_f1 ON s_order_item (order_id);

-- Debezium needs the full before-image of updated and deleted rows: link-table deletes and
-- changes of a foreign key must say what they pointed at before.
ALTER TABLE s_org_ext    REPLICA IDENTITY FULL;
ALTER TABLE s_contact    REPLICA IDENTITY FULL;
ALTER TABLE s_party_per  REPLICA IDENTITY FULL;
ALTER TABLE s_addr_per   REPLICA IDENTITY FULL;
ALTER TABLE s_con_addr   REPLICA IDENTITY FULL;
ALTER TABLE s_inv_prof   REPLICA IDENTITY FULL;
ALTER TABLE s_stmt_prof  REPLICA IDENTITY FULL;
ALTER TABLE s_order      REPLICA IDENTITY FULL;
ALTER TABLE s_order_item REPLICA IDENTITY FULL;

-- The publication Debezium reads (publication.autocreate.mode=disabled in the connector): only
-- the captured tables, so other Siebel traffic never reaches the replication slot.
DO $$
BEGIN
    IF NOT EXISTS (SELECT 1 FROM pg_publication WHERE pubname = 'siebel_ccb_sync') THEN
        CREATE PUBLICATION siebel_ccb_sync FOR TABLE
            s_org_ext, s_contact, s_party_per, s_addr_per, s_con_addr,
            s_inv_prof, s_stmt_prof, s_order, s_order_item;
    END IF;
END
$$;
