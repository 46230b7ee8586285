"""Binance writes its exports in the language of the account's UI. The header names of each export, per language,
as one table: a file is recognised when every column of one language's row is in its header, and its columns are
then found by that row. Alternatives for one column are separated by `|`. Compared through table.header_key, so
case, spaces, underscores and accents do not matter.

Which rows are taken from real exports: English (all three), Czech and German (Spot Trade History), Spanish
(Spot Trade History `Tiempo,Par,Lado,Precio,Ejecutado,Cantidad,Tarifa`, with two-digit years, and Transaction
History `ID de usuario,Tiempo,Cuenta,Operación,Moneda,Cambio,Observación`, whose operations stay in English),
French (Spot Trade History `Durée,Paire,Côté,Prix,Exécuté,Montant,Frais`: "Time" translated as a duration, UTF-8
with BOM, two-digit years, sides in English; described from five real exports in a public repository) and
Portuguese (Spot Trade History `Tempo,Par,Lado,Preço,Executado,Quantidade,Taxa`, two-digit years, BRL pairs, sides
in English; from a public repository's test rows) and Japanese (Spot Trade History `時間,ペア,サイド,価格,実行済み,金額,
手数料` and Transaction History `ユーザーID,時間,アカウント,操作,コイン,変更,備考`: two-digit years, sides and
operations in English; from a public repository's parser and tests, written from its author's exports). The Report
Center's Spot Trade History is verified in English; its Chinese row is a public project's report of a user's file.
Every other row (Italian, Russian, Turkish, Polish, Ukrainian, Vietnamese, Indonesian, Chinese, Korean; Japanese
Order History; French and Portuguese Order and Transaction History) is the UI's own wording as translated, not yet
checked against a file from that UI: searching public code, issues and pages for these headers found none."""
from __future__ import annotations

from collections.abc import Mapping

from .table import header_key

# Spot Trade History (Orders → Trade History → Export).
SPOT_TRADE_FIELDS = ("date", "pair", "side", "price", "executed", "amount", "fee")
SPOT_TRADE_HISTORY = {
    "en": ("Date(UTC)|Date(UTC+0)|Time(UTC)|Date|Time", "Pair", "Side", "Price", "Executed", "Amount", "Fee"),
    "cs": ("Datum(UTC)|Datum", "Pár", "Strana", "Cena", "Provedeno", "Částka", "Poplatek"),
    "de": ("Datum(UTC)|Datum", "Paar", "Seite", "Preis", "Ausgeführt", "Betrag", "Gebühr|Gebühren"),
    "fr": ("Durée|Date(UTC)|Date", "Paire", "Côté|Sens", "Prix", "Exécuté", "Montant", "Frais"),
    "es": ("Tiempo|Fecha(UTC)|Fecha", "Par", "Lado", "Precio", "Ejecutado", "Cantidad|Monto|Importe",
           "Tarifa|Comisión"),
    "it": ("Data(UTC)|Data", "Coppia", "Lato", "Prezzo", "Eseguito", "Importo", "Commissione"),
    "pt": ("Tempo|Data(UTC)|Data", "Par", "Lado", "Preço", "Executado", "Quantidade|Montante|Valor", "Taxa"),
    "ru": ("Дата(UTC)|Дата", "Пара", "Сторона", "Цена", "Исполнено", "Сумма", "Комиссия"),
    "tr": ("Tarih(UTC)|Tarih", "Parite|Çift", "Yön|Taraf", "Fiyat", "Gerçekleşen", "Tutar", "Komisyon|Ücret"),
    "pl": ("Data(UTC)|Data", "Para", "Strona", "Cena", "Zrealizowano|Wykonano", "Kwota", "Opłata|Prowizja"),
    "uk": ("Дата(UTC)|Дата", "Пара", "Сторона", "Ціна", "Виконано", "Сума", "Комісія"),
    "vi": ("Ngày(UTC)|Thời gian(UTC)|Ngày", "Cặp", "Phía|Chiều", "Giá", "Đã khớp", "Số tiền|Tổng", "Phí"),
    "id": ("Tanggal(UTC)|Tanggal", "Pasangan", "Sisi", "Harga", "Tereksekusi|Dieksekusi", "Jumlah", "Biaya"),
    "zh": ("时间(UTC)|日期(UTC)|日期|時間(UTC)", "交易对|交易對", "方向", "价格|價格", "已成交|成交数量|成交數量",
           "成交额|成交額|金额", "手续费|手續費"),
    # Verified: 時間,ペア,サイド,価格,実行済み,金額,手数料 (flareray0/cryptocalc, tests/test_parser.py and
    # app/parsers/binance_japan_parser.py, read from its author's own exports; two-digit years, sides in English).
    "ja": ("時間|日時(UTC)|日付(UTC)|日時", "ペア|取引ペア", "サイド|売買", "価格", "実行済み|約定済み|約定数量",
           "金額|約定金額", "手数料"),
    "ko": ("날짜(UTC)|시간(UTC)|날짜", "페어|거래쌍", "구분|방향", "가격", "체결됨|체결량", "금액|총액", "수수료"),
}

# Spot Trade History as the Report Center writes it (a spreadsheet; the Orders page writes the layout above): base
# and quote in their own columns, bare numbers, `BTC/USDT` pairs.
REPORT_SPOT_TRADE_FIELDS = ("date", "pair", "base", "quote", "type", "price", "amount", "total", "fee", "feecoin")
REPORT_SPOT_TRADE_HISTORY = {
    # Verified: 10000DOO/CoinTax docs/parsers/binance-spot-trade-history.md (measured on a real
    # "Binance-Spot Trade History-….xlsx"), flareray0/cryptocalc app/parsers/binance_japan_parser.py.
    "en": ("Date(UTC)", "Pair", "Base Asset", "Quote Asset", "Type", "Price", "Amount", "Total", "Fee", "Fee Coin"),
    # Reported from a user's file in dTaxLab/dtax docs/plans/2026-03-17-exchange-parser-i18n.md ("用户文件确认");
    # its rows were not published.
    "zh": ("时间", "交易对", "基准货币", "计价货币", "类型", "价格", "数量", "成交额", "手续费", "手续费结算币种"),
}

# Order History (2021+): one row per order, filled or not.
ORDER_FIELDS = ("date", "orderno", "pair", "type", "side", "orderprice", "orderamount", "time", "executed",
                "averageprice", "total", "status")
ORDER_HISTORY = {
    "en": ("Date(UTC)", "OrderNo|Order No|Order ID", "Pair", "Type", "Side", "Order Price", "Order Amount",
           "Time|Update Time", "Executed", "Average Price|AvgTrading Price", "Trading total|Total", "Status"),
    "cs": ("Datum(UTC)", "Č. příkazu|Číslo příkazu", "Pár", "Typ", "Strana", "Cena příkazu", "Částka příkazu", "Čas",
           "Provedeno", "Průměrná cena", "Celkem obchodováno|Celkem", "Stav"),
    "de": ("Datum(UTC)", "Auftragsnr.|Auftragsnummer", "Paar", "Typ", "Seite", "Auftragspreis", "Auftragsmenge",
           "Zeit", "Ausgeführt", "Durchschnittspreis", "Handelssumme|Gesamt", "Status"),
    "fr": ("Date(UTC)", "N° d'ordre|Numéro d'ordre", "Paire", "Type", "Côté|Sens", "Prix de l'ordre",
           "Montant de l'ordre", "Heure", "Exécuté", "Prix moyen", "Total des transactions|Total", "Statut"),
    "es": ("Fecha(UTC)", "N.º de orden|Nº de orden|Número de orden", "Par", "Tipo", "Lado", "Precio de la orden",
           "Monto de la orden|Importe de la orden", "Hora", "Ejecutado", "Precio promedio", "Total operado|Total",
           "Estado"),
    "it": ("Data(UTC)", "N. ordine|Numero ordine", "Coppia", "Tipo", "Lato", "Prezzo ordine", "Importo ordine", "Ora",
           "Eseguito", "Prezzo medio", "Totale scambiato|Totale", "Stato"),
    "pt": ("Data(UTC)", "N.º da ordem|Nº da ordem|Número da ordem", "Par", "Tipo", "Lado", "Preço da ordem",
           "Montante da ordem|Valor da ordem", "Hora", "Executado", "Preço médio", "Total negociado|Total", "Status"),
    "ru": ("Дата(UTC)", "Номер ордера|№ ордера", "Пара", "Тип", "Сторона", "Цена ордера", "Сумма ордера", "Время",
           "Исполнено", "Средняя цена", "Итого|Всего", "Статус"),
    "tr": ("Tarih(UTC)", "Emir No", "Parite|Çift", "Tür", "Yön|Taraf", "Emir Fiyatı", "Emir Miktarı", "Zaman",
           "Gerçekleşen", "Ortalama Fiyat", "İşlem Toplamı|Toplam", "Durum"),
    "pl": ("Data(UTC)", "Nr zlecenia|Numer zlecenia", "Para", "Typ", "Strona", "Cena zlecenia", "Kwota zlecenia",
           "Czas", "Zrealizowano|Wykonano", "Średnia cena", "Suma transakcji|Suma", "Status"),
    "uk": ("Дата(UTC)", "Номер ордера|№ ордера", "Пара", "Тип", "Сторона", "Ціна ордера", "Сума ордера", "Час",
           "Виконано", "Середня ціна", "Разом|Усього", "Статус"),
    "vi": ("Ngày(UTC)", "Số lệnh|Mã lệnh", "Cặp", "Loại", "Phía|Chiều", "Giá đặt", "Số lượng đặt", "Thời gian",
           "Đã khớp", "Giá trung bình", "Tổng giao dịch|Tổng", "Trạng thái"),
    "id": ("Tanggal(UTC)", "No. Order|Nomor Order", "Pasangan", "Tipe|Jenis", "Sisi", "Harga Order", "Jumlah Order",
           "Waktu", "Tereksekusi|Dieksekusi", "Harga Rata-rata", "Total Trading|Total", "Status"),
    "zh": ("日期(UTC)|时间(UTC)", "订单号|訂單號", "交易对|交易對", "类型|類型", "方向", "委托价格|委託價格",
           "委托数量|委託數量", "时间|時間", "已成交|成交数量", "成交均价|平均價格", "成交额|成交額", "状态|狀態"),
    "ja": ("日時(UTC)|日付(UTC)", "注文番号", "ペア|取引ペア", "タイプ|種類", "サイド|売買", "注文価格", "注文数量",
           "時間|時刻", "約定済み|約定数量", "平均価格", "取引合計|合計", "ステータス"),
    "ko": ("날짜(UTC)", "주문번호", "페어|거래쌍", "유형", "구분|방향", "주문 가격", "주문 수량", "시간", "체결됨|체결량",
           "평균 가격", "거래 총액|총액", "상태"),
}

# Transaction History ("Generate all statements"): one row per balance change.
STATEMENT_FIELDS = ("user", "time", "account", "operation", "coin", "change", "remark")
STATEMENT = {
    "en": ("User_ID|User ID|UserID", "UTC_Time|Time|Date(UTC)", "Account", "Operation", "Coin", "Change", "Remark"),
    "cs": ("ID uživatele", "Čas|UTC_Čas", "Účet", "Operace", "Mince", "Změna", "Poznámka"),
    "de": ("Benutzer-ID|Nutzer-ID", "Zeit|UTC_Zeit", "Konto", "Vorgang|Operation", "Coin|Münze", "Änderung",
           "Bemerkung"),
    "fr": ("ID utilisateur", "Heure|Date", "Compte", "Opération", "Crypto|Coin", "Variation|Changement", "Remarque"),
    "es": ("ID de usuario", "Tiempo|Hora|Fecha", "Cuenta", "Operación", "Moneda", "Cambio", "Observación|Comentario"),
    "it": ("ID utente", "Ora|Data", "Conto", "Operazione", "Moneta", "Variazione", "Nota"),
    "pt": ("ID do usuário|ID do utilizador", "Hora|Data", "Conta", "Operação", "Moeda", "Alteração", "Observação"),
    "ru": ("ID пользователя", "Время", "Аккаунт|Счет", "Операция", "Монета", "Изменение", "Примечание"),
    "tr": ("Kullanıcı ID|Kullanıcı Kimliği", "Zaman", "Hesap", "İşlem", "Coin", "Değişim", "Not"),
    "pl": ("ID użytkownika", "Czas", "Konto", "Operacja", "Moneta", "Zmiana", "Uwagi"),
    "uk": ("ID користувача", "Час", "Акаунт|Рахунок", "Операція", "Монета", "Зміна", "Примітка"),
    "vi": ("ID người dùng", "Thời gian", "Tài khoản", "Thao tác|Hoạt động", "Coin|Đồng coin", "Thay đổi", "Ghi chú"),
    "id": ("ID Pengguna", "Waktu", "Akun", "Operasi", "Koin", "Perubahan", "Keterangan|Catatan"),
    "zh": ("用户ID|用戶ID", "时间|時間", "账户|帳戶", "操作", "币种|幣種", "变动|變動", "备注|備註"),
    # Verified: ユーザーID,時間,アカウント,操作,コイン,変更,備考 (flareray0/cryptocalc, as for Spot Trade History).
    "ja": ("ユーザーID", "時間|日時", "アカウント", "操作", "コイン", "変更|変動", "備考"),
    "ko": ("사용자 ID", "시간", "계정", "작업|구분", "코인", "변동", "비고"),
}


def _keyed(table: Mapping[str, tuple[str, ...]]) -> dict[str, tuple[frozenset[str], ...]]:
    return {language: tuple(frozenset(header_key(name) for name in cell.split("|")) for cell in row)
            for language, row in table.items()}


_KEYED = {id(table): _keyed(table) for table in (SPOT_TRADE_HISTORY, REPORT_SPOT_TRADE_HISTORY, ORDER_HISTORY,
                                                   STATEMENT)}


def required_groups(table: Mapping[str, tuple[str, ...]], fields: tuple[str, ...],
                    wanted: tuple[str, ...]) -> tuple[frozenset[str], ...]:
    """For FormatSpec.required: per wanted field, its names in every language."""
    keyed = _KEYED[id(table)]
    return tuple(frozenset().union(*(row[fields.index(name)] for row in keyed.values())) for name in wanted)


def columns_of(keys: list[str], table: Mapping[str, tuple[str, ...]], fields: tuple[str, ...],
               wanted: tuple[str, ...]) -> dict[str, int | None] | None:
    """The column of every field by the first language whose wanted fields are all in the header; None if none."""
    for row in _KEYED[id(table)].values():
        found: dict[str, int | None] = {}
        for name, names in zip(fields, row, strict=True):
            found[name] = next((index for index, key in enumerate(keys) if key in names), None)
        if all(found[name] is not None for name in wanted):
            return found
    return None
