"""The CC&B mapping, field by field (docs/ccb-mapping.md), and the code maps (R14)."""

from __future__ import annotations

from typing import Any

import pytest

from streams.core.aggregate import Aggregate
from streams.core.codes import CodeMaps
from streams.core.mapping import map_customer, mask_ssn, section_digests
from streams.core.siebel import (
    Account,
    Address,
    BillingProfile,
    Contact,
    PartyLink,
    StatementProfile,
)
from streams.errors import ConfigError, MappingError
from tests.unit import siebel_rows as s
from tests.unit.world import CODES

ACCT = "1-4MS-3423"


def aggregate(
    account: dict[str, Any] | None = None,
    contacts: list[dict[str, Any]] | None = None,
    addresses: list[dict[str, Any]] | None = None,
    billing: list[dict[str, Any]] | None = None,
    statements: list[dict[str, Any]] | None = None,
    links: list[dict[str, Any]] | None = None,
) -> Aggregate:
    agg = Aggregate(
        account=Account.from_json(account or s.account(ACCT)),
        contacts={
            c["row_id"]: Contact.from_json(c)
            for c in (contacts if contacts is not None else [s.contact()])
        },
        addresses={
            a["row_id"]: Address.from_json(a)
            for a in (addresses if addresses is not None else [s.address()])
        },
    )
    for row in billing if billing is not None else [s.billing_profile()]:
        agg = agg.with_owned("billing_profile", row["row_id"], BillingProfile.from_json(row))
    for row in statements or []:
        agg = agg.with_owned("statement_profile", row["row_id"], StatementProfile.from_json(row))
    for row in links or []:
        agg = agg.with_owned("party_link", row["row_id"], PartyLink.from_json(row))
    return agg


def test_residential_customer_is_a_person_named_last_comma_first() -> None:
    person = map_customer(aggregate(), CODES)["person"]
    assert person["person_or_business"] == "PERSON"
    assert person["entity_name"] == "Hopper,Grace"
    assert person["email"] == "grace.hopper@example.org"
    assert person["language"] == "ENG"


def test_person_without_first_name_is_just_the_last_name() -> None:
    agg = aggregate(contacts=[s.contact(fst_name=None)])
    assert map_customer(agg, CODES)["person"]["entity_name"] == "Hopper"


def test_phones_by_type_in_a_fixed_order() -> None:
    agg = aggregate(
        contacts=[s.contact(work_ph_num="+1 312 555 0101", fax_ph_num="+1 312 555 0102")]
    )
    assert [
        (p["phone_type"], p["number"]) for p in map_customer(agg, CODES)["person"]["phones"]
    ] == [
        ("HOME", "+1 217 555 0100"),
        ("BUSN", "+1 312 555 0101"),
        ("CELL", "+1 217 555 0199"),
        ("FAX", "+1 312 555 0102"),
    ]


def test_ssn_is_masked_and_the_clear_number_appears_nowhere() -> None:
    customer = map_customer(aggregate(), CODES)
    assert customer["person"]["identifiers"] == [
        {"id_type": "SSN", "id_number": "***-**-6789", "masked": True}
    ]
    assert "123-45-6789" not in repr(customer)
    assert mask_ssn("12") == "****"


def test_business_is_named_by_the_account_with_its_phone_email_and_tax_id() -> None:
    agg = aggregate(account=s.business(ACCT), contacts=[])
    person = map_customer(agg, CODES)["person"]
    assert person["person_or_business"] == "BUSINESS"
    assert person["entity_name"] == "Acme Bakery LLC"
    assert person["phones"] == [{"phone_type": "BUSN", "number": "+1 217 555 0142"}]
    assert person["email"] == "accounts@acme-bakery.example"
    assert person["identifiers"] == [
        {"id_type": "FEIN", "id_number": "36-1234567", "masked": False}
    ]


def _main(agg: Any) -> dict[str, Any]:
    main: dict[str, Any] = map_customer(agg, CODES)["account_persons"][0]
    assert main["role"] == "MAIN"
    return main


def test_account_section_from_account_and_primary_billing_profile() -> None:
    customer = map_customer(aggregate(), CODES)
    account = customer["account"]
    assert account["cis_division"] == "IL"
    assert account["customer_class"] == "RES"
    assert account["currency"] == "USD"
    assert str(account["setup_date"]) == "2024-03-01"
    assert account["account_number"] == "AC-100234"  # OU_NUM
    assert account["bill_cycle"] == "M08"
    assert account["autopay"] is None
    # routing belongs to the account-person in CC&B, the main one included (schema v2)
    main = customer["account_persons"][0]
    assert (main["bill_route_type"], main["bill_format"]) == ("POSTAL", "D")
    assert main["bill_address_source"] == "PERSON"
    assert main["address"] is None


def test_primary_profile_is_the_accounts_pointer_then_the_flag() -> None:
    profiles = [
        s.billing_profile("1-BP-1", primary_flg=True, bill_media="Paper"),
        s.billing_profile("1-BP-2", primary_flg=False, bill_media="Email"),
    ]
    agg = aggregate(account=s.account(ACCT, pr_bill_prfl_id="1-BP-2"), billing=profiles)
    assert _main(agg)["bill_route_type"] == "EMAIL"
    agg = aggregate(account=s.account(ACCT, pr_bill_prfl_id=None), billing=profiles)
    assert _main(agg)["bill_route_type"] == "POSTAL"


def test_no_billing_profile_uses_the_documented_when_empty_codes() -> None:
    customer = map_customer(aggregate(billing=[]), CODES)
    main = customer["account_persons"][0]
    assert (main["bill_route_type"], main["bill_format"], customer["account"]["bill_cycle"]) == (
        "POSTAL",
        "D",
        None,
    )


def test_billing_profile_address_other_than_mailing_overrides_the_bill_address() -> None:
    agg = aggregate(
        billing=[s.billing_profile(addr_id="1-ADR-9")],
        addresses=[s.address(), s.address("1-ADR-9", addr="PO Box 7")],
    )
    main = _main(agg)
    assert main["bill_address_source"] == "ACCOUNT_OVERRIDE"
    assert main["address"]["address1"] == "PO Box 7"


def test_r5_the_billing_profile_contact_is_who_the_main_bills_are_addressed_to() -> None:
    agg = aggregate(
        billing=[s.billing_profile(contact_id="1-CON-7")],
        contacts=[s.contact(), s.contact("1-CON-7", fst_name="Ada", last_name="Byron")],
    )
    main = _main(agg)
    assert (main["bill_to_contact_id"], main["bill_to_name"]) == ("1-CON-7", "Byron,Ada")
    assert "1-CON-7" in agg.referenced_contacts()  # subscribed, so its edits follow


def test_autopay_carries_the_token_never_a_card_number() -> None:
    agg = aggregate(
        billing=[
            s.billing_profile(
                pay_method="Credit Card",
                pay_token="tok_4f9a",
                pay_holder_name="Grace Hopper",
                pay_issuer="VISA",
            )
        ]
    )
    assert map_customer(agg, CODES)["account"]["autopay"] == {
        "source": "CREDIT-CARD",
        "holder_name": "Grace Hopper",
        "token": "tok_4f9a",
        "issuer": "VISA",
    }


@pytest.mark.parametrize(
    ("token", "message"),
    [("4111 1111 1111 1111", "looks like a clear card number"), (None, "none is set")],
)
def test_autopay_refuses_a_clear_card_number_or_no_token(token: str | None, message: str) -> None:
    agg = aggregate(billing=[s.billing_profile(pay_method="Credit Card", pay_token=token)])
    with pytest.raises(MappingError, match=message):
        map_customer(agg, CODES)


def test_one_bill_copy_recipient_per_statement_profile_in_row_id_order() -> None:
    agg = aggregate(
        contacts=[s.contact(), s.contact("1-CON-2", fst_name="Ada", last_name="Byron")],
        addresses=[s.address(), s.address("1-ADR-2", addr="5 Copy Street")],
        statements=[
            s.statement_profile(
                "1-SP-2",
                copies=2,
                bill_media="Email",
                email_bill_to="ada@example.org",
                contact_id=None,
                addr_id=None,
            ),
            s.statement_profile("1-SP-1"),
        ],
    )
    main, first, second = map_customer(agg, CODES)["account_persons"]
    assert (main["role"], main["main_customer"], main["financially_responsible"]) == (
        "MAIN",
        True,
        True,
    )
    assert first["entity_name"] == "Byron,Ada"
    assert first["address"]["address1"] == "5 Copy Street"
    assert (first["bill_route_type"], first["bill_format"], first["copies"]) == ("POSTAL", "S", 1)
    assert (second["bill_route_type"], second["email"], second["copies"]) == (
        "EMAIL",
        "ada@example.org",
        2,
    )


def test_linked_contacts_except_the_main_person() -> None:
    agg = aggregate(
        contacts=[s.contact(), s.contact("1-CON-3", fst_name="Alan", last_name="Turing")],
        links=[s.party_link("1-PP-1", ACCT, "1-CON-1"), s.party_link("1-PP-2", ACCT, "1-CON-3")],
    )
    contacts = map_customer(agg, CODES)["person"]["contacts"]
    assert [(c["siebel_contact_id"], c["entity_name"], c["relationship"]) for c in contacts] == [
        ("1-CON-3", "Turing,Alan", "Spouse")
    ]


@pytest.mark.parametrize(
    ("agg_args", "message"),
    [
        (
            {"billing": [s.billing_profile(bill_media="Carrier Pigeon")]},
            r"unmapped bill_route_type code 'Carrier Pigeon' \(from billing profile 1-BP-1\)",
        ),
        (
            {"billing": [s.billing_profile(bill_cycle="Weekly")]},
            "unmapped bill_cycle code 'Weekly'",
        ),
        ({"account": s.account(ACCT, ou_type_cd="Martian")}, "unmapped person_or_business"),
        ({"account": s.account(ACCT, base_curcy_cd="EUR")}, "unmapped currency code 'EUR'"),
        ({"addresses": [s.address(state="TX")]}, "unmapped cis_division code 'TX'"),
        ({"contacts": [s.contact(pref_lang_id="KLI")]}, "unmapped language code 'KLI'"),
        ({"contacts": []}, "residential customer has no contact"),
    ],
)
def test_r14_unmapped_code_is_an_error_naming_the_code(agg_args: dict, message: str) -> None:
    with pytest.raises(MappingError, match=message):
        map_customer(aggregate(**agg_args), CODES)


def test_r14_code_map_without_a_when_empty_value_for_a_required_field_fails() -> None:
    maps = {n: {"codes": dict(m.codes), "when_empty": m.when_empty} for n, m in CODES.maps.items()}
    del maps["customer_class"]["when_empty"]
    doc = {"version": "t", "maps": maps}
    codes = CodeMaps.from_doc(doc)
    with pytest.raises(MappingError, match="customer class is required"):
        map_customer(aggregate(account=s.account(ACCT, ou_type_cd=None)), codes)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"version": "x"}, "no \\[maps"),
        ({"maps": {"currency": {"codes": {}}}}, "missing maps"),
        ({"maps": {n: {"codes": {"a": 1}} for n in CODES.maps}}, "must map to strings"),
    ],
)
def test_r14_invalid_code_map_file_is_a_config_error(doc: dict, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        CodeMaps.from_doc(doc)


def test_r14_code_map_file_is_versioned() -> None:
    assert CODES.version
    assert map_customer(aggregate(), CODES)  # the shipped file maps the realistic rows


def test_mapping_is_deterministic_and_section_digests_track_changes() -> None:
    one, two = map_customer(aggregate(), CODES), map_customer(aggregate(), CODES)
    assert section_digests(one) == section_digests(two)
    changed = map_customer(aggregate(addresses=[s.address(zipcode="62799")]), CODES)
    diff = {k for k, v in section_digests(changed).items() if section_digests(one)[k] != v}
    assert diff == {"MAILING_ADDRESS"}


def test_missing_account_cannot_be_mapped() -> None:
    with pytest.raises(MappingError, match="no account row"):
        map_customer(Aggregate(), CODES)
