"""Binance exports in every language its UI offers: the header as that UI writes it, the same two fills."""
from __future__ import annotations

from decimal import Decimal

import pytest

from apps.trades.parsers import detect_format, parse_file

from .helpers import at, fixture, trade

# Spot Trade History header and the words for buy and sell, per UI language.
SPOT_HEADERS = {
    "en": ("Date(UTC),Pair,Side,Price,Executed,Amount,Fee", "BUY", "SELL"),
    "cs": ("Datum(UTC),Pár,Strana,Cena,Provedeno,Částka,Poplatek", "Nákup", "Prodej"),
    "de": ("Datum(UTC),Paar,Seite,Preis,Ausgeführt,Betrag,Gebühr", "Kaufen", "Verkaufen"),
    "fr": ("Date(UTC),Paire,Côté,Prix,Exécuté,Montant,Frais", "Achat", "Vente"),
    "es": ("Fecha(UTC),Par,Lado,Precio,Ejecutado,Monto,Comisión", "Compra", "Venta"),
    "it": ("Data(UTC),Coppia,Lato,Prezzo,Eseguito,Importo,Commissione", "Acquista", "Vendi"),
    "pt": ("Data(UTC),Par,Lado,Preço,Executado,Montante,Taxa", "Compra", "Venda"),
    "ru": ("Дата(UTC),Пара,Сторона,Цена,Исполнено,Сумма,Комиссия", "Покупка", "Продажа"),
    "tr": ("Tarih(UTC),Parite,Yön,Fiyat,Gerçekleşen,Tutar,Komisyon", "Alış", "Satış"),
    "pl": ("Data(UTC),Para,Strona,Cena,Zrealizowano,Kwota,Opłata", "Kupno", "Sprzedaż"),
    "uk": ("Дата(UTC),Пара,Сторона,Ціна,Виконано,Сума,Комісія", "Купівля", "Продаж"),
    "vi": ("Ngày(UTC),Cặp,Phía,Giá,Đã khớp,Số tiền,Phí", "Mua", "Bán"),
    "id": ("Tanggal(UTC),Pasangan,Sisi,Harga,Tereksekusi,Jumlah,Biaya", "Beli", "Jual"),
    "zh": ("时间(UTC),交易对,方向,价格,已成交,成交额,手续费", "买入", "卖出"),
    "ja": ("日時(UTC),ペア,サイド,価格,約定済み,金額,手数料", "買い", "売り"),
    "ko": ("날짜(UTC),페어,구분,가격,체결됨,금액,수수료", "매수", "매도"),
}

EXPECTED_SPOT = [
    trade("bnc-1cff784d52426839235bb541e96babcc5353eff6", "DOGE-EUR", "BUY", "500", "0.31031", at(2021, 3, 4, 10),
          "0.5", "DOGE", "EUR"),
    trade("bnc-aaf066d50cfe49553e2068503c87ebd2d0920638", "ETH-USDT", "SELL", "0.25", "1234.56",
          at(2021, 3, 12, 18, 30), "0.30864", "USDT", "USDT"),
]


@pytest.mark.parametrize("language", sorted(SPOT_HEADERS))
def test_spot_trade_history_in_each_language(language):
    header, buy, sell = SPOT_HEADERS[language]
    data = (f"\ufeff{header}\n"
            f"2021-03-04 10:00:00,DOGEEUR,{buy},0.31031,500DOGE,155.155EUR,0.5DOGE\n"
            f"21-03-12 18:30:00,ETHUSDT,{sell},1234.56,0.25ETH,308.64USDT,0.30864USDT\n").encode()

    result = parse_file(data)

    assert result.format == "binance_spot_trade_history"
    assert (result.trades, result.errors, result.skipped) == (EXPECTED_SPOT, [], {})


ORDER_HEADERS = {
    "en": "Date(UTC),OrderNo,Pair,Type,Side,Order Price,Order Amount,Time,Executed,Average Price,Trading total,Status",
    "de": "Datum(UTC),Auftragsnr.,Paar,Typ,Seite,Auftragspreis,Auftragsmenge,Zeit,Ausgeführt,Durchschnittspreis,"
          "Handelssumme,Status",
    "es": "Fecha(UTC),N.º de orden,Par,Tipo,Lado,Precio de la orden,Monto de la orden,Hora,Ejecutado,"
          "Precio promedio,Total operado,Estado",
    "ru": "Дата(UTC),Номер ордера,Пара,Тип,Сторона,Цена ордера,Сумма ордера,Время,Исполнено,Средняя цена,Итого,"
          "Статус",
    "zh": "日期(UTC),订单号,交易对,类型,方向,委托价格,委托数量,时间,已成交,成交均价,成交额,状态",
    "cs": "Datum(UTC),Č. příkazu,Pár,Typ,Strana,Cena příkazu,Částka příkazu,Čas,Provedeno,Průměrná cena,"
          "Celkem obchodováno,Stav",
    "fr": "Date(UTC),N° d'ordre,Paire,Type,Côté,Prix de l'ordre,Montant de l'ordre,Heure,Exécuté,Prix moyen,"
          "Total des transactions,Statut",
    "it": "Data(UTC),N. ordine,Coppia,Tipo,Lato,Prezzo ordine,Importo ordine,Ora,Eseguito,Prezzo medio,"
          "Totale scambiato,Stato",
    "pt": "Data(UTC),N.º da ordem,Par,Tipo,Lado,Preço da ordem,Montante da ordem,Hora,Executado,Preço médio,"
          "Total negociado,Status",
    "tr": "Tarih(UTC),Emir No,Parite,Tür,Yön,Emir Fiyatı,Emir Miktarı,Zaman,Gerçekleşen,Ortalama Fiyat,"
          "İşlem Toplamı,Durum",
    "pl": "Data(UTC),Nr zlecenia,Para,Typ,Strona,Cena zlecenia,Kwota zlecenia,Czas,Zrealizowano,Średnia cena,"
          "Suma transakcji,Status",
    "uk": "Дата(UTC),Номер ордера,Пара,Тип,Сторона,Ціна ордера,Сума ордера,Час,Виконано,Середня ціна,Разом,Статус",
    "vi": "Ngày(UTC),Số lệnh,Cặp,Loại,Phía,Giá đặt,Số lượng đặt,Thời gian,Đã khớp,Giá trung bình,"
          "Tổng giao dịch,Trạng thái",
    "id": "Tanggal(UTC),No. Order,Pasangan,Tipe,Sisi,Harga Order,Jumlah Order,Waktu,Tereksekusi,"
          "Harga Rata-rata,Total Trading,Status",
    "ja": "日時(UTC),注文番号,ペア,タイプ,サイド,注文価格,注文数量,時間,約定済み,平均価格,取引合計,ステータス",
    "ko": "날짜(UTC),주문번호,페어,유형,구분,주문 가격,주문 수량,시간,체결됨,평균 가격,거래 총액,상태",
}


@pytest.mark.parametrize("language", sorted(ORDER_HEADERS))
def test_order_history_in_each_language(language):
    data = (f"{ORDER_HEADERS[language]}\n"
            "2022-06-01 09:00:00,4410001,BTCUSDT,LIMIT,BUY,30000,0.01BTC,2022-06-01 09:05:10,0.01BTC,29990,"
            "299.9USDT,FILLED\n").encode()

    result = parse_file(data)

    assert result.format == "binance_order_history"
    assert result.trades == [trade("bnc-order-BTC-USDT:4410001", "BTC-USDT", "BUY", "0.01", "29990",
                                   at(2022, 6, 1, 9, 5, 10), None, "", "USDT")]


STATEMENT_HEADERS = {
    "en": "User_ID,UTC_Time,Account,Operation,Coin,Change,Remark",
    "de": "Benutzer-ID,Zeit,Konto,Vorgang,Coin,Änderung,Bemerkung",
    "fr": "ID utilisateur,Heure,Compte,Opération,Crypto,Variation,Remarque",
    "tr": "Kullanıcı ID,Zaman,Hesap,İşlem,Coin,Değişim,Not",
    "ja": "ユーザーID,時間,アカウント,操作,コイン,変動,備考",
    "cs": "ID uživatele,Čas,Účet,Operace,Mince,Změna,Poznámka",
    "es": "ID de usuario,Tiempo,Cuenta,Operación,Moneda,Cambio,Observación",
    "it": "ID utente,Ora,Conto,Operazione,Moneta,Variazione,Nota",
    "pt": "ID do usuário,Hora,Conta,Operação,Moeda,Alteração,Observação",
    "ru": "ID пользователя,Время,Аккаунт,Операция,Монета,Изменение,Примечание",
    "pl": "ID użytkownika,Czas,Konto,Operacja,Moneta,Zmiana,Uwagi",
    "uk": "ID користувача,Час,Акаунт,Операція,Монета,Зміна,Примітка",
    "vi": "ID người dùng,Thời gian,Tài khoản,Thao tác,Coin,Thay đổi,Ghi chú",
    "id": "ID Pengguna,Waktu,Akun,Operasi,Koin,Perubahan,Keterangan",
    "zh": "用户ID,时间,账户,操作,币种,变动,备注",
    "ko": "사용자 ID,시간,계정,작업,코인,변동,비고",
}


@pytest.mark.parametrize("language", sorted(STATEMENT_HEADERS))
def test_transaction_history_headers_in_each_language(language):
    data = (f"{STATEMENT_HEADERS[language]}\n"
            "9,2022-06-01 09:05:10,Spot,Transaction Buy,BTC,0.01,\n"
            "9,2022-06-01 09:05:10,Spot,Transaction Spend,USDT,-299.9,\n").encode()

    assert detect_format(data) == "binance_transaction_history"
    assert [(t.symbol, t.side, str(t.qty), str(t.price)) for t in parse_file(data).trades] == [
        ("BTC-USDT", "BUY", "0.01", "29990")]


def _fills(result):
    return [(t.symbol, t.side, t.qty, t.price, t.ts, t.fee, t.fee_asset, t.quote_asset) for t in result.trades]


def test_french_spot_trade_history_as_binance_writes_it():
    # The header of real French exports: "Durée" for the time, a BOM, two-digit years, sides in English.
    result = parse_file(fixture("binance_spot_trade_history_fr.csv"))

    assert result.format == "binance_spot_trade_history"
    assert (result.errors, result.skipped) == ([], {})
    assert _fills(result) == [
        ("TAO-USDC", "BUY", Decimal("1.2"), Decimal("412.5"), at(2025, 11, 26, 8, 14, 3), Decimal("0.0012"), "TAO",
         "USDC"),
        ("BTC-EUR", "SELL", Decimal("0.00125"), Decimal("79850.1"), at(2025, 12, 1, 19, 2, 47), Decimal("0.0000125"),
         "BNB", "EUR"),
    ]


def test_portuguese_spot_trade_history_as_binance_writes_it():
    # "Tempo" for the time and "Quantidade" for the amount; two identical fills are two trades.
    result = parse_file(fixture("binance_spot_trade_history_pt.csv"))

    assert result.format == "binance_spot_trade_history"
    assert (result.errors, result.skipped) == ([], {})
    assert _fills(result) == [
        ("BTC-BRL", "BUY", Decimal("0.0015"), Decimal("512300"), at(2026, 1, 9, 13, 45, 30), Decimal("0.0000015"),
         "BTC", "BRL"),
        ("BTC-BRL", "BUY", Decimal("0.0015"), Decimal("512300"), at(2026, 1, 9, 13, 45, 30), Decimal("0.0000015"),
         "BTC", "BRL"),
        ("USDT-BRL", "SELL", Decimal("200"), Decimal("5.412"), at(2026, 2, 3, 7, 5), Decimal("1.0824"), "BRL", "BRL"),
    ]
    assert len({t.ext_id for t in result.trades}) == 3


def test_japanese_spot_trade_history_as_binance_writes_it():
    # "時間" for the time and "実行済み" for the executed quantity; two-digit years, sides in English.
    result = parse_file(fixture("binance_spot_trade_history_ja.csv"))

    assert result.format == "binance_spot_trade_history"
    assert (result.errors, result.skipped) == ([], {})
    assert _fills(result) == [
        ("BTC-JPY", "BUY", Decimal("0.001"), Decimal("10000000"), at(2026, 3, 20, 23, 39, 35), Decimal("10"), "JPY",
         "JPY"),
        ("SOL-ETH", "SELL", Decimal("0.169"), Decimal("0.04181"), at(2026, 3, 20, 23, 31, 58), Decimal("0.00000565"),
         "ETH", "ETH"),
    ]


def test_japanese_transaction_history_as_binance_writes_it():
    # "変更" for the change; operations stay in English.
    result = parse_file(fixture("binance_transaction_history_ja.csv"))

    assert result.format == "binance_transaction_history"
    assert (result.errors, result.skipped, result.total_rows) == ([], {"Deposit": 1}, 4)
    assert _fills(result) == [
        ("ETH-BTC", "BUY", Decimal("0.0035"), Decimal("0.028308571428571429"), at(2025, 7, 17, 11, 6, 11),
         Decimal("0.0000035"), "ETH", "BTC"),
    ]
