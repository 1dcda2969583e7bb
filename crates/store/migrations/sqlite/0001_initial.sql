-- Bursar schema, version 1 (SQLite). Money is integer cents; dates are UNIX seconds.

CREATE TABLE conf (
    name TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE access_user (
    usernum INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    disabled INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE agent (
    agentnum INTEGER PRIMARY KEY,
    agent TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE part_referral (
    refnum INTEGER PRIMARY KEY,
    referral TEXT NOT NULL,
    disabled TEXT NOT NULL DEFAULT '',
    agentnum BIGINT REFERENCES agent (agentnum),
    title TEXT NOT NULL DEFAULT ''
);

CREATE TABLE sales (
    salesnum INTEGER PRIMARY KEY,
    salesperson TEXT NOT NULL,
    agentnum BIGINT REFERENCES agent (agentnum),
    disabled INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE cust_class (
    classnum INTEGER PRIMARY KEY,
    classname TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE reason (
    reasonnum INTEGER PRIMARY KEY,
    reason TEXT NOT NULL,
    class TEXT NOT NULL,
    disabled INTEGER NOT NULL DEFAULT 0
);

-- Localities and tax rates (Freeside's cust_main_county): the seeded
-- localities have rate 0 and empty name.
CREATE TABLE cust_main_county (
    taxnum INTEGER PRIMARY KEY,
    country TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT '',
    county TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    district TEXT NOT NULL DEFAULT '',
    taxclass TEXT NOT NULL DEFAULT '',
    taxname TEXT NOT NULL DEFAULT '',
    tax TEXT NOT NULL DEFAULT '0',
    setuptax TEXT NOT NULL DEFAULT '',
    recurtax TEXT NOT NULL DEFAULT '',
    exempt_amount BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX cust_main_county_place ON cust_main_county (country, state, county, city, district, taxclass);

CREATE TABLE part_export (
    exportnum INTEGER PRIMARY KEY,
    exportname TEXT NOT NULL UNIQUE,
    exporttype TEXT NOT NULL
);

-- Option values whose names mark them secret are stored encrypted.
CREATE TABLE part_export_option (
    exportnum BIGINT NOT NULL REFERENCES part_export (exportnum),
    optionname TEXT NOT NULL,
    optionvalue TEXT NOT NULL,
    encrypted INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (exportnum, optionname)
);

CREATE TABLE part_svc (
    svcpart INTEGER PRIMARY KEY,
    svc TEXT NOT NULL,
    svcdb TEXT NOT NULL,
    password_encoding TEXT NOT NULL DEFAULT 'crypt-sha512',
    disabled INTEGER NOT NULL DEFAULT 0
);

CREATE TABLE export_svc (
    svcpart BIGINT NOT NULL REFERENCES part_svc (svcpart),
    exportnum BIGINT NOT NULL REFERENCES part_export (exportnum),
    PRIMARY KEY (svcpart, exportnum)
);

CREATE TABLE part_pkg (
    pkgpart INTEGER PRIMARY KEY,
    pkg TEXT NOT NULL,
    comment TEXT NOT NULL DEFAULT '',
    setup_fee BIGINT NOT NULL DEFAULT 0,
    recur_fee BIGINT NOT NULL DEFAULT 0,
    freq TEXT NOT NULL,
    setuptax TEXT NOT NULL DEFAULT '',
    recurtax TEXT NOT NULL DEFAULT '',
    prorate_day INTEGER,
    disabled INTEGER NOT NULL DEFAULT 0,
    custom_of BIGINT,
    plan TEXT NOT NULL DEFAULT 'flat'
);

CREATE TABLE pkg_svc (
    pkgpart BIGINT NOT NULL REFERENCES part_pkg (pkgpart),
    svcpart BIGINT NOT NULL REFERENCES part_svc (svcpart),
    quantity BIGINT NOT NULL DEFAULT 1,
    PRIMARY KEY (pkgpart, svcpart)
);

CREATE TABLE cust_main (
    custnum INTEGER PRIMARY KEY,
    agentnum BIGINT NOT NULL REFERENCES agent (agentnum),
    agent_custid TEXT,
    refnum BIGINT NOT NULL REFERENCES part_referral (refnum),
    classnum BIGINT REFERENCES cust_class (classnum),
    salesnum BIGINT REFERENCES sales (salesnum),
    usernum BIGINT NOT NULL REFERENCES access_user (usernum),
    first TEXT NOT NULL,
    last TEXT NOT NULL,
    company TEXT NOT NULL DEFAULT '',
    daytime TEXT NOT NULL DEFAULT '',
    night TEXT NOT NULL DEFAULT '',
    fax TEXT NOT NULL DEFAULT '',
    mobile TEXT NOT NULL DEFAULT '',
    referral_custnum BIGINT REFERENCES cust_main (custnum),
    bill_locationnum BIGINT,
    ship_locationnum BIGINT,
    postal_invoice TEXT NOT NULL DEFAULT '',
    tax_exempt TEXT NOT NULL DEFAULT '',
    signupdate BIGINT NOT NULL,
    payby TEXT NOT NULL DEFAULT '',
    payinfo TEXT NOT NULL DEFAULT '',
    paymask TEXT NOT NULL DEFAULT '',
    paycardtype TEXT NOT NULL DEFAULT '',
    paydate TEXT NOT NULL DEFAULT '',
    payname TEXT NOT NULL DEFAULT '',
    payip TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX cust_main_agent_custid ON cust_main (agentnum, agent_custid);

CREATE TABLE cust_location (
    locationnum INTEGER PRIMARY KEY,
    custnum BIGINT REFERENCES cust_main (custnum),
    locationname TEXT NOT NULL DEFAULT '',
    address1 TEXT NOT NULL,
    address2 TEXT NOT NULL DEFAULT '',
    city TEXT NOT NULL DEFAULT '',
    county TEXT NOT NULL DEFAULT '',
    state TEXT NOT NULL DEFAULT '',
    zip TEXT NOT NULL DEFAULT '',
    country TEXT NOT NULL,
    latitude TEXT NOT NULL DEFAULT '',
    longitude TEXT NOT NULL DEFAULT '',
    coord_auto TEXT NOT NULL DEFAULT '',
    addr_clean TEXT NOT NULL DEFAULT '',
    geocode TEXT NOT NULL DEFAULT '',
    district TEXT NOT NULL DEFAULT '',
    censustract TEXT NOT NULL DEFAULT '',
    censusyear TEXT NOT NULL DEFAULT '',
    location_type TEXT NOT NULL DEFAULT '',
    location_number TEXT NOT NULL DEFAULT '',
    location_kind TEXT NOT NULL DEFAULT '',
    incorporated TEXT NOT NULL DEFAULT '',
    disabled TEXT NOT NULL DEFAULT ''
);
CREATE INDEX cust_location_custnum ON cust_location (custnum);

-- Invoicing destinations: e-mail contacts of a customer with their flags.
CREATE TABLE cust_contact_email (
    custnum BIGINT NOT NULL REFERENCES cust_main (custnum),
    emailaddress TEXT NOT NULL,
    invoice_dest TEXT NOT NULL DEFAULT 'Y',
    message_dest TEXT NOT NULL DEFAULT 'Y',
    PRIMARY KEY (custnum, emailaddress)
);
CREATE INDEX cust_contact_email_address ON cust_contact_email (emailaddress);

CREATE TABLE cust_pkg (
    pkgnum INTEGER PRIMARY KEY,
    custnum BIGINT NOT NULL REFERENCES cust_main (custnum),
    pkgpart BIGINT NOT NULL REFERENCES part_pkg (pkgpart),
    locationnum BIGINT REFERENCES cust_location (locationnum),
    usernum BIGINT REFERENCES access_user (usernum),
    quantity BIGINT NOT NULL DEFAULT 1,
    order_date BIGINT,
    start_date BIGINT,
    setup BIGINT,
    bill BIGINT,
    last_bill BIGINT,
    susp BIGINT,
    adjourn BIGINT,
    resume BIGINT,
    expire BIGINT,
    cancel BIGINT,
    uncancel BIGINT,
    contract_end BIGINT,
    dundate BIGINT,
    change_date BIGINT,
    change_pkgnum BIGINT,
    change_pkgpart BIGINT,
    change_locationnum BIGINT,
    change_to_pkgnum BIGINT,
    no_auto TEXT NOT NULL DEFAULT '',
    waive_setup TEXT NOT NULL DEFAULT '',
    separate_bill TEXT NOT NULL DEFAULT '',
    agent_pkgid TEXT NOT NULL DEFAULT ''
);
CREATE INDEX cust_pkg_custnum ON cust_pkg (custnum);

CREATE TABLE cust_pkg_detail (
    detailnum INTEGER PRIMARY KEY,
    pkgnum BIGINT NOT NULL REFERENCES cust_pkg (pkgnum),
    detail TEXT NOT NULL
);
CREATE INDEX cust_pkg_detail_pkgnum ON cust_pkg_detail (pkgnum);

CREATE TABLE cust_svc (
    svcnum INTEGER PRIMARY KEY,
    pkgnum BIGINT REFERENCES cust_pkg (pkgnum),
    svcpart BIGINT REFERENCES part_svc (svcpart),
    agent_svcid TEXT NOT NULL DEFAULT ''
);
CREATE INDEX cust_svc_pkgnum ON cust_svc (pkgnum);

CREATE TABLE svc_domain (
    svcnum BIGINT PRIMARY KEY REFERENCES cust_svc (svcnum),
    domain TEXT NOT NULL UNIQUE,
    catchall BIGINT,
    parent_svcnum BIGINT,
    max_accounts BIGINT
);

-- The mail domains a service definition's accounts may use, in order (the
-- first is the default). System domains have a cust_svc without package.
CREATE TABLE part_svc_domain (
    svcpart BIGINT NOT NULL REFERENCES part_svc (svcpart),
    domsvc BIGINT NOT NULL REFERENCES svc_domain (svcnum),
    position INTEGER NOT NULL,
    PRIMARY KEY (svcpart, domsvc)
);

CREATE TABLE svc_acct (
    svcnum BIGINT PRIMARY KEY REFERENCES cust_svc (svcnum),
    username TEXT NOT NULL,
    domsvc BIGINT NOT NULL REFERENCES svc_domain (svcnum),
    password TEXT NOT NULL DEFAULT '',
    password_encoding TEXT NOT NULL DEFAULT '',
    finger TEXT NOT NULL DEFAULT '',
    quota TEXT NOT NULL DEFAULT ''
);
CREATE UNIQUE INDEX svc_acct_username ON svc_acct (username, domsvc);

CREATE TABLE svc_phone (
    svcnum BIGINT PRIMARY KEY REFERENCES cust_svc (svcnum),
    countrycode TEXT NOT NULL DEFAULT '1',
    phonenum TEXT NOT NULL,
    pin TEXT NOT NULL DEFAULT '',
    phone_name TEXT NOT NULL DEFAULT ''
);
CREATE INDEX svc_phone_phonenum ON svc_phone (phonenum);

CREATE TABLE cust_bill (
    invnum INTEGER PRIMARY KEY,
    custnum BIGINT NOT NULL REFERENCES cust_main (custnum),
    _date BIGINT NOT NULL,
    charged BIGINT NOT NULL,
    billing_balance BIGINT NOT NULL DEFAULT 0,
    previous_balance BIGINT NOT NULL DEFAULT 0
);
CREATE INDEX cust_bill_custnum ON cust_bill (custnum);

CREATE TABLE cust_bill_pkg (
    billpkgnum INTEGER PRIMARY KEY,
    invnum BIGINT NOT NULL REFERENCES cust_bill (invnum),
    pkgnum BIGINT NOT NULL DEFAULT 0,
    setup BIGINT NOT NULL DEFAULT 0,
    recur BIGINT NOT NULL DEFAULT 0,
    unitsetup BIGINT NOT NULL DEFAULT 0,
    unitrecur BIGINT NOT NULL DEFAULT 0,
    quantity BIGINT NOT NULL DEFAULT 1,
    sdate BIGINT,
    edate BIGINT,
    itemdesc TEXT NOT NULL DEFAULT ''
);
CREATE INDEX cust_bill_pkg_invnum ON cust_bill_pkg (invnum);

CREATE TABLE cust_pay (
    paynum INTEGER PRIMARY KEY,
    custnum BIGINT NOT NULL REFERENCES cust_main (custnum),
    _date BIGINT NOT NULL,
    paid BIGINT NOT NULL,
    payby TEXT NOT NULL,
    payinfo TEXT NOT NULL DEFAULT '',
    paymask TEXT NOT NULL DEFAULT '',
    paydate TEXT NOT NULL DEFAULT '',
    paybatch TEXT NOT NULL DEFAULT '',
    payunique TEXT NOT NULL DEFAULT '',
    order_number TEXT NOT NULL DEFAULT '',
    auth TEXT NOT NULL DEFAULT '',
    processor TEXT NOT NULL DEFAULT '',
    gatewaynum BIGINT,
    bank TEXT NOT NULL DEFAULT '',
    depositor TEXT NOT NULL DEFAULT '',
    account TEXT NOT NULL DEFAULT '',
    teller TEXT NOT NULL DEFAULT '',
    pkgnum BIGINT REFERENCES cust_pkg (pkgnum),
    no_auto_apply TEXT NOT NULL DEFAULT '',
    usernum BIGINT REFERENCES access_user (usernum)
);
CREATE INDEX cust_pay_custnum ON cust_pay (custnum);
CREATE INDEX cust_pay_order_number ON cust_pay (custnum, order_number);
CREATE INDEX cust_pay_payunique ON cust_pay (custnum, payunique);

CREATE TABLE cust_credit (
    crednum INTEGER PRIMARY KEY,
    custnum BIGINT NOT NULL REFERENCES cust_main (custnum),
    _date BIGINT NOT NULL,
    amount BIGINT NOT NULL,
    reasonnum BIGINT REFERENCES reason (reasonnum),
    addlinfo TEXT NOT NULL DEFAULT '',
    pkgnum BIGINT REFERENCES cust_pkg (pkgnum),
    usernum BIGINT REFERENCES access_user (usernum)
);
CREATE INDEX cust_credit_custnum ON cust_credit (custnum);

CREATE TABLE cust_refund (
    refundnum INTEGER PRIMARY KEY,
    custnum BIGINT NOT NULL REFERENCES cust_main (custnum),
    _date BIGINT NOT NULL,
    refund BIGINT NOT NULL,
    payby TEXT NOT NULL,
    payinfo TEXT NOT NULL DEFAULT '',
    paymask TEXT NOT NULL DEFAULT '',
    reasonnum BIGINT REFERENCES reason (reasonnum),
    paybatch TEXT NOT NULL DEFAULT '',
    order_number TEXT NOT NULL DEFAULT '',
    auth TEXT NOT NULL DEFAULT '',
    source_paynum BIGINT,
    usernum BIGINT REFERENCES access_user (usernum)
);
CREATE INDEX cust_refund_custnum ON cust_refund (custnum);

CREATE TABLE cust_bill_pay (
    billpaynum INTEGER PRIMARY KEY,
    invnum BIGINT NOT NULL REFERENCES cust_bill (invnum),
    paynum BIGINT NOT NULL REFERENCES cust_pay (paynum),
    amount BIGINT NOT NULL,
    _date BIGINT NOT NULL
);
CREATE INDEX cust_bill_pay_invnum ON cust_bill_pay (invnum);
CREATE INDEX cust_bill_pay_paynum ON cust_bill_pay (paynum);

CREATE TABLE cust_credit_bill (
    creditbillnum INTEGER PRIMARY KEY,
    invnum BIGINT NOT NULL REFERENCES cust_bill (invnum),
    crednum BIGINT NOT NULL REFERENCES cust_credit (crednum),
    amount BIGINT NOT NULL,
    _date BIGINT NOT NULL
);
CREATE INDEX cust_credit_bill_invnum ON cust_credit_bill (invnum);
CREATE INDEX cust_credit_bill_crednum ON cust_credit_bill (crednum);

CREATE TABLE cust_pay_refund (
    payrefundnum INTEGER PRIMARY KEY,
    paynum BIGINT NOT NULL REFERENCES cust_pay (paynum),
    refundnum BIGINT NOT NULL REFERENCES cust_refund (refundnum),
    amount BIGINT NOT NULL,
    _date BIGINT NOT NULL
);
CREATE INDEX cust_pay_refund_paynum ON cust_pay_refund (paynum);

CREATE TABLE cust_credit_refund (
    creditrefundnum INTEGER PRIMARY KEY,
    crednum BIGINT NOT NULL REFERENCES cust_credit (crednum),
    refundnum BIGINT NOT NULL REFERENCES cust_refund (refundnum),
    amount BIGINT NOT NULL,
    _date BIGINT NOT NULL
);
CREATE INDEX cust_credit_refund_crednum ON cust_credit_refund (crednum);
