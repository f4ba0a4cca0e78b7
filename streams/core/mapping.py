"""The CC&B mapping: a customer aggregate → the CC&B target state (`customer` of the command).

Field by field in docs/ccb-mapping.md. The result is Avro-ready (plain dicts, lists, dates) and
deterministic: the same aggregate always maps to the same value, so comparing section digests
tells exactly what changed (R5).
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from streams.core.aggregate import Aggregate
from streams.core.codes import CodeMaps
from streams.core.siebel import Account, Address, BillingProfile, Contact, StatementProfile
from streams.errors import MappingError

SECTIONS = (
    "PERSON",
    "ACCOUNT",
    "MAILING_ADDRESS",
    "CONTACTS",
    "BILLING",
    "AUTOPAY",
    "STATEMENT_RECIPIENTS",
)
PHONE_COLUMNS = ("home_ph_num", "work_ph_num", "cell_ph_num", "fax_ph_num")


def entity_name(contact: Contact) -> str:
    """CC&B person name format: "Last,First" (no space after the comma)."""
    return f"{contact.last_name},{contact.fst_name}" if contact.fst_name else contact.last_name


def address(row: Address | None) -> dict[str, Any] | None:
    if row is None:
        return None
    return {
        "address1": row.addr,
        "address2": row.addr_line_2,
        "address3": row.addr_line_3,
        "city": row.city,
        "county": row.county,
        "state": row.state,
        "postal": row.zipcode,
        "country": row.country,
    }


def mask_ssn(value: str) -> str:
    digits = re.sub(r"\D", "", value)
    return "***-**-" + digits[-4:] if len(digits) >= 4 else "****"


def _luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def _need(value: str | None, what: str) -> str:
    if not value:
        raise MappingError(f"{what} is required by CC&B and maps to nothing")
    return value


def _phones(codes: CodeMaps, row: Contact | Account, columns: tuple[str, ...]) -> list[Any]:
    phones = []
    for column in columns:
        number = getattr(row, column)
        if number:
            phone_type = codes("phone_type", column, where=f"phone column {column.upper()}")
            phones.append({"phone_type": phone_type, "number": number})
    return phones


def _person(agg: Aggregate, account: Account, codes: CodeMaps) -> dict[str, Any]:
    kind = codes("person_or_business", account.ou_type_cd, where="S_ORG_EXT.OU_TYPE_CD")
    if kind not in ("PERSON", "BUSINESS"):
        raise MappingError(f"person_or_business maps {account.ou_type_cd!r} to {kind!r}")
    primary = agg.contacts.get(account.pr_con_id) if account.pr_con_id else None
    if kind == "PERSON":
        if primary is None:
            raise MappingError(f"account {account.row_id}: residential customer has no contact")
        name = entity_name(primary)
        phones = _phones(codes, primary, PHONE_COLUMNS)
        email = primary.email_addr
        ids = []
        if primary.soc_security_num:
            ssn = mask_ssn(primary.soc_security_num)
            ids.append({"id_type": "SSN", "id_number": ssn, "masked": True})
        lang = primary.pref_lang_id or account.lang_id
    else:
        name = account.name
        phones = _phones(codes, account, ("main_ph_num",))
        email = account.main_email_addr
        ids = []
        if account.tax_iden_num:
            ids.append({"id_type": "FEIN", "id_number": account.tax_iden_num, "masked": False})
        lang = account.lang_id
    contacts = []
    for link in agg.active_party_links():
        contact = agg.contacts.get(link.person_id)
        if contact is None or link.person_id == account.pr_con_id:
            continue
        contacts.append(
            {
                "siebel_contact_id": contact.row_id,
                "entity_name": entity_name(contact),
                "relationship": link.rel_type_cd,
                "phones": _phones(codes, contact, PHONE_COLUMNS),
                "email": contact.email_addr,
            }
        )
    return {
        "person_or_business": kind,
        "entity_name": name,
        "phones": phones,
        "email": email,
        "identifiers": ids,
        "language": codes("language", lang, where="language id"),
        "mailing_address": address(agg.addresses.get(agg.mailing_address_id() or "")),
        "contacts": contacts,
    }


def _autopay(profile: BillingProfile | None, codes: CodeMaps) -> dict[str, Any] | None:
    if profile is None:
        return None
    source = codes("autopay_source", profile.pay_method, where="S_INV_PROF.PAY_METHOD")
    if not source:
        return None
    token = profile.pay_token or ""
    digits = re.sub(r"[\s-]", "", token)
    if not token or (digits.isdigit() and 13 <= len(digits) <= 19 and _luhn_ok(digits)):
        # CC&B gets a token, never a clear card number: refuse rather than pass one on.
        raise MappingError(
            f"billing profile {profile.row_id}: autopay needs a payment token, and "
            f"{'none is set' if not token else 'the token looks like a clear card number'}"
        )
    return {
        "source": source,
        "holder_name": profile.pay_holder_name,
        "token": token,
        "issuer": profile.pay_issuer,
    }


def _account(agg: Aggregate, account: Account, codes: CodeMaps, mailing: Any) -> dict[str, Any]:
    profile = agg.primary_billing_profile()
    where = f"billing profile {profile.row_id}" if profile else "no billing profile"
    return {
        "cis_division": _need(
            codes("cis_division", mailing["state"] if mailing else None, where="mailing STATE"),
            "CIS division",
        ),
        "customer_class": _need(
            codes("customer_class", account.ou_type_cd, where="S_ORG_EXT.OU_TYPE_CD"),
            "customer class",
        ),
        "currency": _need(
            codes("currency", account.base_curcy_cd, where="S_ORG_EXT.BASE_CURCY_CD"), "currency"
        ),
        "setup_date": account.created,
        "account_number": account.ou_num,
        "bill_cycle": codes("bill_cycle", profile.bill_cycle if profile else None, where=where),
        "budget_billing": bool(profile and profile.budget_bill_flg),
        "autopay": _autopay(profile, codes),
    }


def _main(
    agg: Aggregate, account: Account, person: dict[str, Any], codes: CodeMaps
) -> dict[str, Any]:
    """The main customer's account-person: who it is, and how its bills go (the primary
    billing profile's routing, format, address and addressee)."""
    profile = agg.primary_billing_profile()
    where = f"billing profile {profile.row_id}" if profile else "no billing profile"
    bill_addr_id = profile.addr_id if profile else None
    override = bill_addr_id is not None and bill_addr_id != agg.mailing_address_id()
    bill_to = agg.contacts.get(profile.contact_id) if profile and profile.contact_id else None
    return {
        "role": "MAIN",
        # a business is the customer itself; its primary contact is a CONTACT of its own
        "siebel_contact_id": account.pr_con_id
        if person["person_or_business"] == "PERSON"
        else None,
        "entity_name": person["entity_name"],
        "main_customer": True,
        "financially_responsible": True,
        "copies": 1,
        "bill_route_type": codes(
            "bill_route_type", profile.bill_media if profile else None, where=where
        ),
        "bill_format": codes("bill_format", profile.bill_type if profile else None, where=where),
        "bill_address_source": "ACCOUNT_OVERRIDE" if override else "PERSON",
        "address": address(agg.addresses.get(bill_addr_id or "")) if override else None,
        "email": profile.email_bill_to if profile else None,
        "language": None,
        "bill_to_contact_id": profile.contact_id if profile else None,
        "bill_to_name": entity_name(bill_to) if bill_to else None,
    }


def _business_contact(agg: Aggregate, account: Account) -> list[dict[str, Any]]:
    """A business's primary contact, as an account-person of its own (R5/R6: its edits are
    updates of the business)."""
    contact = agg.contacts.get(account.pr_con_id) if account.pr_con_id else None
    if contact is None:
        return []
    return [
        {
            "role": "CONTACT",
            "siebel_contact_id": contact.row_id,
            "entity_name": entity_name(contact),
            "main_customer": False,
            "financially_responsible": False,
            "copies": 0,
            "bill_route_type": None,
            "bill_format": None,
            "bill_address_source": "PERSON",
            "address": None,
            "email": contact.email_addr,
            "language": None,
            "bill_to_contact_id": None,
            "bill_to_name": None,
        }
    ]


def _bill_copy(agg: Aggregate, stmt: StatementProfile, codes: CodeMaps) -> dict[str, Any]:
    contact = agg.contacts.get(stmt.contact_id) if stmt.contact_id else None
    where = f"statement profile {stmt.row_id}"
    return {
        "role": "BILL_COPY",
        "siebel_contact_id": stmt.contact_id,
        "entity_name": entity_name(contact) if contact else None,
        "main_customer": False,
        "financially_responsible": False,
        "copies": stmt.copies if stmt.copies is not None else 1,
        "bill_route_type": codes("bill_route_type", stmt.bill_media, where=where),
        "bill_format": codes("bill_format", stmt.bill_type, where=where),
        "bill_address_source": "ACCOUNT_OVERRIDE" if stmt.addr_id else "PERSON",
        "address": address(agg.addresses.get(stmt.addr_id or "")),
        "email": stmt.email_bill_to,
        "language": codes("language", stmt.language, where=where),
        "bill_to_contact_id": None,
        "bill_to_name": None,
    }


def map_customer(agg: Aggregate, codes: CodeMaps) -> dict[str, Any]:
    """The CC&B target state of a customer. Raises MappingError naming what cannot be mapped."""
    account = agg.account
    if account is None:
        raise MappingError("no account row to map")
    person = _person(agg, account, codes)
    contacts = _business_contact(agg, account) if person["person_or_business"] == "BUSINESS" else []
    copies = [_bill_copy(agg, s, codes) for s in agg.rows("statement_profile")]
    return {
        "person": person,
        "account": _account(agg, account, codes, person["mailing_address"]),
        "account_persons": [_main(agg, account, person, codes), *contacts, *copies],
    }


def sections(customer: dict[str, Any]) -> dict[str, Any]:
    """The customer split into the sections a command names as changed."""
    person, account = customer["person"], customer["account"]
    persons = customer["account_persons"]
    main = persons[0]
    return {
        "PERSON": {k: person[k] for k in ("person_or_business", "entity_name", "identifiers")}
        | {"language": person["language"], "main": {k: main[k] for k in MAIN_IDENTITY}},
        "ACCOUNT": {k: account[k] for k in ACCOUNT_FIELDS},
        "MAILING_ADDRESS": person["mailing_address"],
        "CONTACTS": {k: person[k] for k in ("phones", "email", "contacts")}
        | {"persons": [p for p in persons if p["role"] == "CONTACT"]},
        "BILLING": {k: account[k] for k in ("bill_cycle", "budget_billing")}
        | {"main": {k: v for k, v in main.items() if k not in MAIN_IDENTITY}},
        "AUTOPAY": account["autopay"],
        "STATEMENT_RECIPIENTS": [p for p in persons if p["role"] == "BILL_COPY"],
    }


# the main account-person's identity (PERSON); the rest of it is how its bills go (BILLING)
MAIN_IDENTITY = (
    "role",
    "siebel_contact_id",
    "entity_name",
    "main_customer",
    "financially_responsible",
)
ACCOUNT_FIELDS = ("cis_division", "customer_class", "currency", "setup_date", "account_number")


def digest(value: Any) -> str:
    canonical = json.dumps(value, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def section_digests(customer: dict[str, Any]) -> dict[str, str]:
    return {name: digest(value) for name, value in sections(customer).items()}
