"""Text normalisation, PII masking and script detection (ml.text)."""

import pytest

from ml.text import detect_script, find_pii, luhn_valid, mask_pii, normalize_text, text_hash


def test_normalisation_folds_width_case_and_whitespace():
    assert normalize_text("  ＡＢＣ１２３\n  Hello\tWORLD ") == "abc123 hello world"
    assert normalize_text(None) == ""
    assert text_hash("Hello  World") == text_hash("hello world")
    assert text_hash("hello world") != text_hash("hello, world")


@pytest.mark.parametrize(
    "text, expected",
    [
        # Chinese mobiles in the writings people use
        ("My number is 138 1234 5678.", "My number is <PHONE>."),
        ("手机号+86-13812345678", "手机号<PHONE>"),
        ("联系我：(+86) 13812345678", "联系我：<PHONE>"),
        ("0086 13812345678", "<PHONE>"),
        ("+86 138 1234 5678", "<PHONE>"),
        ("138-1234-5678 please", "<PHONE> please"),
        ("电话13812345678", "电话<PHONE>"),
        # international, North American and national numbers
        ("+44 7400 123456", "<PHONE>"),
        ("+44 (0)7400 123456", "<PHONE>"),
        ("call 07400 123456 or 07400-123456", "call <PHONE> or <PHONE>"),
        ("+1 (212) 555-1234", "<PHONE>"),
        ("(212) 555-1234", "<PHONE>"),
        ("212.555.1234", "<PHONE>"),
        ("1-212-555-1234", "<PHONE>"),
        ("tel 010-12345678", "tel <PHONE>"),
        # e-mail, Chinese ID number, card numbers (Luhn-valid only)
        ("Mail JOHN.DOE@Example.co.uk now", "Mail <EMAIL> now"),
        ("我的邮箱是li.na@qq.com", "我的邮箱是<EMAIL>"),
        ("身份证号11010519491231002X", "身份证号<ID>"),
        ("ID 440305199001011234 for the warranty", "ID <ID> for the warranty"),
        ("card 4111 1111 1111 1111 ok", "card <CARD> ok"),
        ("card 5500-0000-0000-0004", "card <CARD>"),
        ("4111111111111111", "<CARD>"),
    ],
)
def test_mask_pii_masks(text, expected):
    assert mask_pii(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "order 12345678 arrived on 2024-01-15 for $129.99",
        "order #A1234567890",
        "I paid 1,299 yuan for 2 items",
        "card 4111 1111 1111 1112 is not a valid number",  # fails the Luhn check
        "version 2.13.0 crashed at 14:30",
        "等了3天，快递单号SF1234567",
    ],
)
def test_mask_pii_leaves_other_numbers(text):
    assert mask_pii(text) == text


def test_mask_pii_counts_and_luhn():
    assert find_pii("a@b.com, 13812345678, 4111111111111111") == {"email": 1, "phone": 1, "id": 0, "card": 1}
    assert luhn_valid("4111111111111111") and not luhn_valid("4111111111111112")
    assert mask_pii(None) == ""


@pytest.mark.parametrize(
    "text, script",
    [
        ("快递三天了还没到", "zh"),
        ("我的iPhone屏幕坏了", "zh"),
        ("The parcel is late again", "en"),
        ("Entrega rápida, recomendo!", "en"),  # Latin script
        ("Посылка опоздала", "other"),
        ("配送が遅いです", "other"),  # kana: Japanese
        ("😀👍 123", "other"),
        ("", "other"),
    ],
)
def test_detect_script(text, script):
    assert detect_script(text) == script


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("My order is late. Thanks, Wei", "My order is late. Thanks, <NAME>"),
        ("Broken on day 2.\nKind regards,\nDan Wu", "Broken on day 2.\nKind regards,\n<NAME>"),
        ("Thanks for the quick help. Cheers Frank.", "Thanks for the quick help. Cheers <NAME>."),
        ("How do I get an invoice for my last order? Yang", "How do I get an invoice for my last order? <NAME>"),
        ("@lucasgreen did they ever reply?", "<HANDLE> did they ever reply?"),
        ("write to li.wei@example.cn", "write to <EMAIL>"),
        # no name to mask: closing words, products and places inside sentences
        ("Please help.", "Please help."),
        ("Works with my Watch S2. Thank you", "Works with my Watch S2. Thank you"),
        ("Great gift. Avoid.", "Great gift. Avoid."),
        ("Bought the Buds Pro at the Hangzhou store", "Bought the Buds Pro at the Hangzhou store"),
    ],
)
def test_mask_pii_masks_signed_names_and_mentions(text, masked):
    assert mask_pii(text) == masked
