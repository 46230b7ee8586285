"""The non-advisory linter: every coach text (templates, a configured model's answers, digests, the gate)
must talk about behaviour only.

It rejects, sentence by sentence:

- ``instruction`` — a recommendation to buy, sell, hold, enter, exit, short, re-enter, take profit, add to
  or close a position: as an imperative ("Sell half of your BTC", "Next time, buy the dip"), after a
  suggestion ("consider buying", "you could / should / might want to exit", "I'd hold", "it would have been
  better to sell"), as hindsight ("a better entry would have been …", "holding would have paid more") or as
  market timing ("wait for a pullback");
- ``position sizing`` — how much to put in, leverage, "size up", "double your position", "risk 2% per trade";
- ``price level`` — a price or price target ("around 61,000", "once it hits 70k", "a stop at $58k");
- ``asset recommendation`` — which markets to hold or avoid, or claims that an asset is safe, cheap or
  undervalued ("Stick to BTC and ETH, which are the safest coins");
- ``market forecast`` — where a market is going ("the market is bottoming", "BTC will rally",
  "expect a bounce", "the bottom is in");
- ``promise`` — promises of profit or of getting losses back ("guaranteed", "risk-free", "you will make it
  back", "20% a month").

Habits about the trader's own process pass: "wait a fixed cooldown after a loss", "write the plan before
the entry", "keep your next position at your usual size", "stop trading for the day at your limit".
Facts about the trader's own past trades pass too ("You sold at 61,200, 7% under the 7-day high").
The labelled corpus in ``apps/bias/tests/engine/linter_corpus.py`` measures it (precision and recall).
"""
from __future__ import annotations

import re

_FLAGS = re.IGNORECASE

# ---- vocabulary ------------------------------------------------------------------------------------------

_ASSET = (r"(?:btc|xbt|eth|sol|xrp|ada|doge|dot|avax|bnb|ltc|link|matic|shib|pepe|usdt|usdc|bitcoin|ethereum|solana|"
          r"cardano|dogecoin|altcoins?|alts|memecoins?|meme\s+coins?|stablecoins?|coins?|tokens?|crypto|cryptos|"
          r"stocks?|shares|equities|etfs?|gold|(?-i:[A-Z]{2,6}-(?:USD|USDT|USDC|EUR|BTC))|large[- ]caps?|blue[- ]chips?)")
# trading actions in any inflection; "hold" and "enter/close/add/take/get/open/cut/trim" only in their
# trading sense (not "hold off", "enter the reason", "close the app", "take a break")
_POSITION = r"(?:(?:the|your|this|that|a|an|some|half|part|all|more|most|another|new|partial)\s+){0,3}(?:of\s+)?(?:(?:your|the|this|that|it)\s+)?"
_ACT = (
    r"(?:buy(?:s|ing)?|bought|sell(?:s|ing)?|sold|(?<!\ba\s)short(?:s|ing|ed)?(?=\s+(?:it|them|this|that|the|a|an|here|now|more|some|every|any|into|on|at|when|if|again|" + _ASSET + r")\b|\s*[,.!?;]|$)|go(?:es|ing)?\s+(?:long|short)|went\s+(?:long|short)|"
    r"re-?enter(?:s|ing|ed)?|re-?buy(?:s|ing)?|rebought|buy(?:ing)?\s+back|"
    r"(?:get|getting|got)\s+(?:back\s+)?(?:in|into|out)\b|jump(?:ing|ed)?\s+(?:back\s+)?(?:in|into)|ape(?:s|d)?\s+in|"
    r"hold(?:s|ing)?(?!\s+(?:off|yourself|back|to\s+your|on\s+to\s+your|onto\s+your|times?|periods?|durations?|rules?)\b)|held\s+(?:on|it|them|your|the|longer|for|through|until)|hodl(?:ing)?|"
    r"enter(?:s|ing|ed)?(?!\s+(?:(?:the|your|a|each|every|this)\s+)?(?:reason|reasons|notes?|plan|plans|thoughts|journal|details|feelings?|mood|conditions?|rules?))|"
    r"exit(?:s|ing|ed)?(?!\s+(?:conditions?|rules?|plans?|reasons?|criteria|checklists?|times?|levels?\s+in\s+your)\b)|"
    r"close[sd]?\s+" + _POSITION + r"(?:position|positions|trade|long|short|it|them)\b|closing\s+" + _POSITION + r"(?:position|positions|long|short|it)\b|"
    r"open(?:s|ing|ed)?\s+(?:a\s+|another\s+|new\s+|your\s+)*(?:position|long|short)\b|"
    r"take[ns]?\s+(?:some\s+|partial\s+|your\s+|the\s+)?(?:profits?|gains)|taking\s+(?:some\s+|partial\s+|your\s+)?(?:profits?|gains)|took\s+(?:some\s+|partial\s+)?(?:profits?|gains)|"
    r"cut(?:s|ting)?\s+(?:your\s+|the\s+)?(?:losses|loss|position|it|losers)|"
    r"trim(?:s|med|ming)?|scal(?:e|es|ed|ing)\s+(?:in|out|into)|add(?:s|ed|ing)?\s+(?:to\s+(?:your|the|this|that)\s+(?:position|bag|stack|holdings?|longs?|shorts?)|more\b)|"
    r"double[sd]?\s+down|doubling\s+down|averag(?:e|es|ed|ing)\s+down|load(?:s|ed|ing)?\s+up|accumulat(?:e|es|ed|ing)|dump(?:s|ed|ing)?\s+(?:it|your|the|them|\w+\s+(?:coins?|tokens?))|"
    r"rotat(?:e|es|ed|ing)\s+(?:into|out\s+of)|mov(?:e|es|ed|ing)\s+(?:[\w-]+\s+){0,3}?(?:in)?to\s+" + _ASSET + r"|dca(?:'?ing)?|flip(?:s|ped|ping)?\s+(?:it|to\s+(?:long|short))|"
    r"invest(?:s|ed|ing)?\s+in|stay(?:s|ed|ing)?\s+in\s+(?:the\s+|your\s+|this\s+)?(?:trade|position)|"
    r"let\s+(?:it|your\s+winners?|the\s+position|winners)\s+run|scoop(?:s|ed|ing)?\s+(?:(?:it|them|some)\s+)?up|hedg(?:e|es|ed|ing)\b|"
    r"(?:grab|grabbing|snag|snagging|pick(?:ing)?\s+up)\s+(?:some\s+|more\s+|a\s+bit\s+of\s+)?" + _ASSET + r"|"
    r"tak(?:e|es|ing)\s+(?:some\s+|half\s+|a\s+bit\s+|profits?\s+|chips\s+|money\s+)?off\s+the\s+table|"
    r"(?:keep|start|begin)(?:s|ed|ing)?\s+(?:buying|selling|shorting|holding|adding|accumulating|stacking)|stack(?:s|ed|ing)?\s+(?:sats|btc|eth|coins)|"
    r"lock(?:s|ed|ing)?\s+in\s+(?:your\s+|the\s+|some\s+)?(?:gains|profits?)|bail(?:s|ed|ing)?(?:\s+out)?\b|pil(?:e|es|ed|ing)\s+(?:in|into)|"
    r"be\s+(?:long|short)\b|rid(?:e|es|ing)\s+(?:the\s+|this\s+)?(?:trend|wave|move|it|momentum))"
)
_ACT_RE = re.compile(r"\b" + _ACT, _FLAGS)

# a number that reads as a price: currency sign, thousands separators, a k/m suffix, a quote currency
_PRICE = (r"(?:[$€£¥]\s?\d[\d,]*(?:\.\d+)?\s*[kKmM]?\b|\b\d{1,3}(?:,\d{3})+(?:\.\d+)?\b|\b\d+(?:\.\d+)?\s?[kK]\b|"
          r"\b\d+(?:\.\d+)?\s?(?:usd|usdt|usdc|eur|dollars?|bucks|sats)\b|\b(?!19\d\d\b|20\d\d\b)\d{4,}(?:\.\d+)?\b)")

_SUGGEST = (r"(?:consider(?:ing)?|you\s+(?:could|should|might|may|must|need\s+to|ought\s+to|have\s+to|can|'d\s+better|had\s+better|"
            r"might\s+want\s+to|may\s+want\s+to|want\s+to)|you'd|you'll\s+want\s+to|"
            r"(?:i|we)\s+(?:would|'d|'d\s+rather|would\s+rather|recommend|suggest|advise|think\s+you\s+should)|i'd|we'd|"
            r"(?:my|our)\s+(?:advice|suggestion|recommendation|tip)\s+(?:is|would\s+be)|"
            r"it\s+(?:would|might|could|may)\s+(?:be|have\s+been)\s+(?:wise|better|smarter|safer|best|good|a\s+good\s+idea|worth\s+it)\s+to|"
            r"it'?s\s+(?:wise|better|smarter|safer|best|a\s+good\s+idea|time|worth)\s+(?:to|it\s+to)|"
            r"(?:now|this|today)\s+(?:is|would\s+be)\s+(?:the|a\s+good|a\s+great|the\s+right|the\s+perfect)\s+(?:time|moment|chance)\s+to|"
            r"(?:it'?s|it\s+is|be|it\s+(?:might|may|could|would)\s+be)\s+worth(?:\s+it\s+to)?|(?:you'?re|you\s+are|you'?d\s+be|you\s+would\s+be)\s+better\s+off|"
            r"time\s+to|make\s+sure\s+(?:to|you)|remember\s+to|don'?t\s+forget\s+to|why\s+not|how\s+about|"
            r"better\s+to|best\s+to|smarter\s+to|wiser\s+to|safer\s+to|"
            r"(?:the|your|a)\s+(?:right|smart|smarter|better|best|wise|safe|safer|only|sensible|obvious|logical)\s+(?:move|call|play|choice|bet|option|thing(?:\s+to\s+do)?)\s+(?:now\s+|here\s+|today\s+)?(?:is|was|would\s+be|would\s+have\s+been)(?:\s+to)?|"
            r"should\s+have|could\s+have|would\s+have|try\s+to|try|aim\s+to|plan\s+to|go\s+ahead\s+and|feel\s+free\s+to|don'?t\s+be\s+afraid\s+to|"
            r"you\s+(?:will|would)\s+(?:do\s+)?(?:well|better)\s+to|if\s+i\s+were\s+you)")
_GAP = r"(?:\s+(?!(?:before|after|when|while|until|unless|without|than|because|once|if|whenever)\b)[\w'-]+){0,2}?\s+"

_CLAUSE_START = r"(?:^|[.!?;:—–]\s*|,\s*|\b(?:so|then|and|but|or|instead|otherwise)\s+)"
_LEAD_IN = (r"(?:(?:next\s+time|this\s+time|now|today|tomorrow|tonight|then|instead|just|simply|maybe|perhaps|please|"
            r"definitely|really|always|never|quickly|slowly|gradually|first|immediately|also|probably|honestly|"
            r"don'?t|do\s+not|do)[,]?\s+){0,3}")
_IMPERATIVE_ACT = (
    r"(?:buy|sell|short(?=\s+(?:it|them|this|that|the|a|an|here|now|more|some|every|any|into|on|at|when|if|again|" + _ASSET + r")\b|\s*[,.!?;]|$)|go\s+(?:long|short)|re-?enter|re-?buy|buy\s+back|get\s+(?:back\s+)?(?:in|into|out)\b|jump\s+(?:back\s+)?in|ape\s+in|"
    r"hold(?!\s+(?:off|yourself|back|to\s+your|on\s+to\s+your|onto\s+your|the\s+line|times?|periods?|durations?|rules?)\b)|hodl|"
    r"enter(?!\s+(?:(?:the|your|a|each|every|this)\s+)?(?:reason|reasons|notes?|plan|plans|thoughts|journal|details|feelings?|mood|conditions?|rules?))|"
    r"exit(?!\s+(?:conditions?|rules?|plans?|reasons?|criteria|checklists?|times?)\b)|"
    r"close\s+" + _POSITION + r"(?:position|positions|trade|long|short|it|them)\b|open\s+(?:a\s+|another\s+|new\s+)*(?:position|long|short)\b|"
    r"take\s+(?:some\s+|partial\s+|your\s+|the\s+)?(?:profits?|gains)|cut\s+(?:your\s+|the\s+)?(?:losses|loss|position|it|losers)|"
    r"trim|scale\s+(?:in|out|into)|add\s+(?:to\s+(?:your|the|this|that)\s+(?:position|bag|stack|holdings?)|more\b)|double\s+down|"
    r"average\s+down|load\s+up|accumulate|dump|rotate\s+into|dca|flip\s+(?:it|to)|invest\s+in|stay\s+in\s+(?:the\s+|your\s+|this\s+)?(?:trade|position)|"
    r"let\s+(?:it|your\s+winners?|the\s+position|winners)\s+run|stick\s+(?:to|with)\s+" + _ASSET + r"|scoop\s+(?:(?:it|them|some)\s+)?up|hedge|"
    r"(?:grab|snag|pick\s+up)\s+(?:some\s+|more\s+|a\s+bit\s+of\s+)?" + _ASSET + r"|take\s+(?:some\s+|half\s+|a\s+bit\s+|profits?\s+|chips\s+|money\s+)?off\s+the\s+table|"
    r"(?:keep|start|begin)\s+(?:buying|selling|shorting|holding|adding|accumulating|stacking)|stack\s+(?:sats|btc|eth|coins)|"
    r"lock\s+in\s+(?:your\s+|the\s+|some\s+)?(?:gains|profits?)|bail(?:\s+out)?|pile\s+(?:in|into)|be\s+(?:long|short)|"
    r"ride\s+(?:the\s+|this\s+)?(?:trend|wave|move|it|momentum)|panic[- ]sell)\b"
)

_MARKET_SUBJECT = (r"(?:it|price|prices|the\s+price|the\s+market|markets|this\s+market|crypto|bitcoin|ethereum|btc|eth|sol|"
                   r"the\s+(?:coin|token|chart|trend|pair)|this\s+(?:coin|token|chart|trend|pair)|alts|altcoins|stocks|(?-i:[A-Z]{2,6}(?:-[A-Z]{3,4})?))")
_MOVE = (r"(?:go(?:es)?\s+(?:up|down|higher|lower)|rise|rises|fall|falls|crash|pump|dump|moon|rally|recover|rebound|drop|bounce|climb|"
         r"soar|tank|explode|skyrocket|plunge|collapse|break\s?out|break\s+down|reverse|keep\s+(?:rising|falling|going|climbing|dropping)|"
         r"continue\s+(?:higher|lower|up|down|to\s+\w+)|retest|revisit|correct|dip|come\s+back|(?:hit|make|print|set)\s+(?:a\s+)?new\s+(?:all[- ]time\s+)?(?:highs?|lows?)|run\s+(?:up|higher)|turn\s+(?:around|up|down)|"
         r"outperform|underperform|double|triple|bleed|recover|head\s+(?:higher|lower|up|down)|be\s+(?:higher|lower|up|down|bullish|bearish)|"
         r"bottom(?:\s+out)?|top(?:\s+out)?|stabili[sz]e|mean[- ]revert|pull\s?back|squeeze)")

# ---- patterns, each (kind, compiled regex) ----------------------------------------------------------------

_PATTERNS: list[tuple[str, re.Pattern]] = [
    # imperative: "Sell half of your BTC", "Next time, buy the dip", "so re-enter tomorrow"
    ("instruction", re.compile(_CLAUSE_START + _LEAD_IN + _IMPERATIVE_ACT, _FLAGS)),
    # a suggestion or hindsight leading to an action: "consider buying", "you could have exited"
    ("instruction", re.compile(r"\b" + _SUGGEST + _GAP.replace("{0,2}?", "{0,3}?") + _ACT, _FLAGS)),
    # "a better entry would have been …", "the ideal exit was …", "the best time to buy is …"
    ("instruction", re.compile(
        r"\b(?:better|ideal|good|best|smarter|safer|optimal|perfect|right|great|cleaner|nicer)\s+"
        r"(?:entry|entries|exit|exits|entry\s+point|exit\s+point|buy|sell|price|level|spot|stop|stop[- ]loss|target|"
        r"time\s+to\s+(?:buy|sell|enter|exit|get\s+in|get\s+out)|moment\s+to\s+(?:buy|sell|enter|exit)|place\s+to\s+(?:buy|sell|enter|exit)|"
        r"point\s+to\s+(?:buy|sell|enter|exit))\b"
        r"(?=[^.!?]*\b(?:would|might|could|is|are|was|will|lies|sits|comes?|came|happen|happens|appear|appears|being|=|:|at|around|near|below|above)\b|[^.!?]*\d)",
        _FLAGS)),
    # an action named as the better outcome: "holding would have paid more", "selling is the smart move"
    ("instruction", re.compile(
        r"\b(?:buying|selling|shorting|holding|entering|exiting|re-?entering|waiting\s+for\s+(?:a|the)\s+(?:dip|pullback|bounce)|"
        r"taking\s+profits?|cutting\s+(?:your\s+)?losses|averaging\s+down|doubling\s+down|adding)\b[^.!?]{0,60}?\b"
        r"(?:would|might|could|will|is|was)\s+(?:have\s+)?(?:been\s+|be\s+)?(?:work(?:ed)?\s+|pay(?:s|ed)?\s+(?:off\s+)?)?"
        r"(?:better|smarter|wiser|safer|best|more\s+profitable|the\s+(?:right|better|smart|best|wise)\s+(?:move|call|play|choice|option)|"
        r"the\s+(?:play|move|call|trade)\b|made\s+you|paid\s+(?:off|more|better)|saved\s+you|a\s+(?:good|great|better|smart)\s+(?:idea|move|call|play)|a\s+no-?brainer|"
        r"(?:an\s+)?(?:obvious|easy)\s+(?:call|move|win|choice))", _FLAGS)),
    # hindsight about money: "you'd have made more by holding"
    ("instruction", re.compile(r"\b(?:you'?d|you\s+would|you\s+could)\s+have\s+(?:made|earned|gained|saved|kept|lost\s+less)\s+"
                               r"(?:more|less|\$|\d|money|a\s+lot)", _FLAGS)),
    ("instruction", re.compile(r"\b(?:buying|selling|entry|shorting|accumulation)\s+opportunit(?:y|ies)\b", _FLAGS)),
    ("instruction", re.compile(r"(?<!n't\s)(?<!never\s)(?<!not\s)\bchase\s+(?:strength|momentum|breakouts?|winners|pumps?|"
                               r"the\s+(?:trend|pump|breakout|move))\b", _FLAGS)),
    # market timing: wait for the market to do something first
    ("instruction", re.compile(
        r"\bwait(?:ing)?\s+(?:for\s+)?(?:a|the|another|some)?\s*(?:pullback|pull-back|dip|retracement|correction|breakout|confirmation|"
        r"bounce|reversal|retest|lower\s+price|better\s+price|cheaper\s+price|price\s+to|market\s+to|(?:btc|eth|it)\s+to|bottom|top|"
        r"green\s+candle|red\s+candle\s+to\s+buy)", _FLAGS)),
    ("instruction", re.compile(r"\bwhere\s+to\s+(?:buy|sell|enter|exit|get\s+in|get\s+out|re-?enter)\b|\b(?:buy|sell|entry|exit|long|short)\s+(?:signal|zone|setup)s?\b|\bbuy\s+the\s+(?:dip|rip|fear|news)\b|"
                               r"\bsell\s+the\s+(?:rip|news|top|pump)\b|\b(?:says|screams|signals|flashes)\s+(?:buy|sell|short|long)\b|\b(?:strong|clear)\s+(?:buy|sell)\b|\b(?:is|looks\s+like)\s+a\s+(?:buy|sell|hold)\b",
                               _FLAGS)),
    # sizing: leverage, percentages of the account, "size up", "go all in", "double your position"
    ("position sizing", re.compile(
        r"(?<!your\s)(?<!position\s)\b(?:size|sizing|sized)\s+(?:up|down|into)\b|\bgo(?:ing)?\s+all[- ]in\b|\ball[- ]in\s+on\b|"
        r"\b(?:double|doubling|triple|tripling|increase|increasing|raise|raising|boost|boosting|grow|growing|halve|halving|lower|lowering|"
        r"reduce|reducing|cut|cutting|bump|bumping)\s+(?:your\s+|the\s+)?(?:[\w-]+\s+)?(?:position|size|stake|exposure|allocation|bet|bag|holdings?)\b|"
        r"\bdry\s+powder\b|\b(?:position\s+)?size\s+(?:should|must|needs\s+to|ought\s+to)\s+be\b|"
        r"\b\d+(?:\.\d+)?\s?(?:%|percent)\s+of\s+(?:your\s+)?(?:equity|account|portfolio|capital|net\s+worth|savings|stack|bankroll)\b|"
        r"\b(?:keep|hold|have|leave)\s+(?:\d+(?:\.\d+)?\s?(?:%|percent)|some|half|most)\s+(?:of\s+it\s+)?in\s+(?:cash|stablecoins|stables|reserve)\b|\b(?:use|using|try|add|increase|take|with)\s+(?:\d+(?:\.\d+)?\s?[x×]\s+|more\s+|less\s+|some\s+|higher\s+|lower\s+)?leverage\b|\b\d+(?:\.\d+)?\s?[x×]\s+leverage\b|"
        r"\b(?:risk|allocate|put|invest|bet|stake|commit|deploy)\s+(?:only\s+|no\s+more\s+than\s+|at\s+most\s+|up\s+to\s+|about\s+|around\s+|roughly\s+)?"
        r"(?:\d+(?:\.\d+)?\s?(?:%|percent)|(?:half|a\s+third|a\s+quarter|everything|all|the\s+rest|most)\s+(?:of\s+)?(?:your\s+)?"
        r"(?:account|portfolio|capital|funds|money|savings|balance|stack|bankroll|net\s+worth|cash)|(?:half|everything|all|the\s+rest|most)\s+(?:in|into|on)\s+" + _ASSET + r")(?!\w)", _FLAGS)),
    # price levels and targets
    ("price level", re.compile(
        r"\b(?:target|targets|targeting|aim(?:ing)?\s+for|stop(?:[- ]loss)?|take[- ]profit|support|resistance|entry|exit|level|zone|"
        r"floor|ceiling|bottom|top)\b(?!\s+(?:size|sizes|count|checklist|reasons?|rules?|times?)\b)(?:\s+[\w'-]+){0,3}?\s*(?::|=|~)?\s*(?:about\s+|roughly\s+|~\s*)?" + _PRICE, _FLAGS)),
    ("price level", re.compile(
        r"\b(?:tp|sl|area|around|near|below|above|under|over|back\s+to|closer\s+to|towards?|up\s+to|down\s+to|"
        r"(?:once|when|if|until|before|after)\s+(?:it|the\s+price|price|" + _ASSET + r")\s+(?:hits?|reach(?:es)?|touch(?:es)?|breaks?|"
        r"crosses|drops?|falls?|dips?|rises?|climbs?|gets?|goes|trades?|is|returns?|retests?)(?:\s+(?:above|below|under|over|to|back\s+to|past|through))?)"
        r"\s*(?::|of|at|is|near|around|=)?\s*(?:about\s+|roughly\s+|~\s*)?" + _PRICE, _FLAGS)),
    ("price level", re.compile(r"\b(?:tight|wide|trailing|mental)\s+stop\b|\bstops?\s+(?:just\s+)?(?:under|below|above|over)\s+(?:the\s+)?"
                               r"(?:wick|low|high|support|resistance|range|level)\b|\bladder\s+(?:your\s+)?(?:bids|buys|sells|entries|exits|orders)\b|"
                               r"\bbetween\s+" + _PRICE + r"\s+and\s+" + _PRICE, _FLAGS)),
    ("price level", re.compile(r"\b(?:price\s+target|target\s+price|take[- ]profit\s+(?:at|level|order)|stop[- ]loss\s+(?:at|below|above|under|of)|"
                               r"(?:set|place|put|move)\s+(?:a\s+|your\s+)?(?:stop|stop[- ]loss|take[- ]profit|limit\s+order)\s+(?:at|below|above|under|to|of|\d))", _FLAGS)),
    ("price level", re.compile(r"\b(?:once|when|if|until)\s+(?:it|the\s+price|price|" + _ASSET + r")\s+(?:hits?|reach(?:es)?|touch(?:es)?|breaks?|crosses|"
                               r"drops?|falls?|dips?|rises?|climbs?|gets|goes|trades|returns?|retests?)\s+(?:above|below|under|over|to|back\s+to|past|through)?\s*"
                               r"(?:about\s+|roughly\s+)?(?:" + _PRICE + r"|the\s+(?:\d+|low|high|support|resistance|level))", _FLAGS)),
    ("price level", re.compile(r"\b(?:aim|target)(?:ing)?\s+(?:for\s+)?(?:a\s+)?\d+(?:\.\d+)?\s?(?:%|percent|x)\s*(?:gain|return|profit|move|upside)?", _FLAGS)),
    # a named market: coach texts talk about behaviour and never single out a market (the model is never told
    # one); an amount in a currency ("0.002 BTC") is not a market
    ("named market", re.compile(r"(?<!\d\s)(?<!\d)\b(?:btc|xbt|eth|sol|xrp|ada|doge|avax|bnb|ltc|matic|shib|pepe|bitcoin|ethereum|solana|"
                                r"cardano|dogecoin|ripple|litecoin|polkadot|chainlink|(?-i:[A-Z]{2,6}-(?:USD|USDT|USDC|EUR|BTC)))\b", _FLAGS)),
    # an action in the present or future tense next to a named asset: "grab ETH", "SOL is worth adding"
    ("instruction", re.compile(
        r"(?=[^.!?]*\b" + _ASSET + r"\b)[^.!?]*?\b(?:buy|buying|sell|selling|short|shorting|hold|holding|enter|entering|exit|exiting|"
        r"add|adding|trim|trimming|accumulate|accumulating|dump|dumping|re-?enter|re-?entering|rebuy|rebuying|long|longing|"
        r"load\s+up|loading\s+up|scale\s+(?:in|out)|scaling\s+(?:in|out)|rotate|rotating|dca|stack|stacking|take\s+profits?|"
        r"taking\s+profits?|swap|swapping|switch|switching|own|owning)\b(?!\s+(?:times?|rules?|conditions?|plans?|reasons?)\b)",
        _FLAGS)),
    # asset recommendations and safety / value claims
    ("asset recommendation", re.compile(
        r"\b(?:stick\s+(?:to|with)|focus\s+on|only\s+trade|switch\s+(?:to|into)|move\s+(?:your\s+)?(?:money|funds|capital|savings)\s+(?:to|into)|"
        r"diversify\s+into|stay\s+in|keep\s+your\s+(?:money|funds|savings)\s+in|avoid|stay\s+away\s+from|get\s+rid\s+of|own|park\s+(?:your\s+)?(?:money|funds)\s+in|"
        r"(?:put|keep)\s+(?:more\s+|your\s+\w+\s+)?(?:money|funds|capital)?\s*(?:in|into))\s+(?:(?:the\s+|some\s+|more\s+|only\s+)?(?:safer\s+|bigger\s+|major\s+|top\s+)?)"
        + _ASSET + r"\b", _FLAGS)),
    ("asset recommendation", re.compile(
        r"\b(?:safest|safe|safer|solid|strong(?:est)?|best|good|great|top|reliable|undervalued|overvalued|cheap|cheapest|promising|hot|"
        r"winning|blue[- ]chip|quality|sound|stable)\s+(?:coins?|tokens?|assets?|bets?|investments?|picks?|plays?|stocks?|cryptos?|projects?|"
        r"holdings?|alts|altcoins|buys?|markets?\s+to\s+(?:buy|trade|hold|own))\b", _FLAGS)),
    ("asset recommendation", re.compile(
        r"\b" + _ASSET + r"\s+(?:is|are|looks?|seems?|remains?|stays?)\s+(?:currently\s+|now\s+|still\s+|clearly\s+|really\s+)?"
        r"(?:a\s+)?(?:safe|safer|the\s+safest|undervalued|overvalued|cheap|expensive|a\s+bargain|a\s+steal|bullish|bearish|"
        r"oversold|overbought|a\s+(?:strong\s+)?(?:buy|sell|hold)|the\s+(?:best|better)\s+(?:bet|choice|pick|option)|(?:a\s+)?(?:safe|good|great|solid)\s+(?:bet|choice|pick|investment))\b",
        _FLAGS)),
    ("asset recommendation", re.compile(r"\b(?:a\s+bargain|a\s+steal|undervalued|overvalued|underpriced|overpriced|fair\s+value|"
                                        r"cheap\s+(?:right\s+)?(?:now|here|at\s+these\s+(?:prices|levels)))\b", _FLAGS)),
    ("asset recommendation", re.compile(r"\b(?:i'?m|we'?re|i\s+am|we\s+are|stay|be)\s+(?:bullish|bearish)\b|\bbullish\s+on\b|\bbearish\s+on\b|"
                                        r"\bto\s+the\s+moon\b|\bnot\s+financial\s+advice\b|\bnfa\b", _FLAGS)),
    # forecasts: where a market is going
    ("market forecast", re.compile(
        r"\b" + _MARKET_SUBJECT + r"(?:\s+[\w'-]+){0,2}?\s+(?:will|won't|(?:is|are|'s)\s+(?:going|about|set|poised|likely|bound|due|ready|sure|certain)\s+to|gonna|"
        r"should|could|may|might|must|tends?\s+to|usually|always)\s+(?:\w+\s+)?" + _MOVE + r"\b", _FLAGS)),
    ("market forecast", re.compile(
        r"\b" + _MARKET_SUBJECT + r"\s+(?:is|are|looks?|seems?|appears?)\s+(?:to\s+be\s+)?(?:now\s+|already\s+|clearly\s+|finally\s+)?"
        r"(?:bottoming|topping|bottoming\s+out|topping\s+out|turning(?:\s+(?:around|up|down))?|reversing|breaking\s+(?:out|down)|heading\s+(?:higher|lower|up|down|for|to)|"
        r"primed|gearing\s+up|coiling|setting\s+up|forming\s+a\s+(?:bottom|top|base)|due\s+for|ready\s+(?:to|for)|about\s+to|on\s+(?:the|its)\s+way|"
        r"recovering|rebounding|in\s+(?:an?\s+)?(?:uptrend|downtrend|bull\s+market|bear\s+market)\s+(?:now|again)|oversold\s+now|overbought\s+now)\b", _FLAGS)),
    ("market forecast", re.compile(
        r"\b(?:the\s+)?(?:bottom|top|low|high)\s+is\s+(?:in|near|close|coming)\b|\bforming\s+a\s+(?:bottom|top|base|double\s+(?:top|bottom))\b|\bthis\s+is\s+the\s+(?:bottom|top)\b|"
        r"\b(?:dip|correction|crash|sell-?off|rally|pump|bull\s+run|bear\s+market|uptrend|downtrend|recovery|bounce|breakout|pullback|rebound|reversal|"
        r"squeeze|altseason|alt\s+season|leg\s+(?:up|down)|move\s+(?:up|down))\s+(?:is|are|looks?)\s+(?:just\s+)?(?:getting\s+started|beginning|coming|near|imminent|underway|likely|expected|starting|due|over|around\s+the\s+corner|on\s+(?:its|the)\s+way|inevitable)\b|"
        r"\bexpect(?:ing)?\s+(?:a|an|the|prices?|it|btc|eth|" + _ASSET + r"|markets?)?\s*(?:to\s+)?(?:\w+\s+)?(?:rise|fall|bounce|rally|recovery|recover|crash|correction|dip|pullback|"
        r"breakout|rebound|reversal|drop|pump|dump|higher|lower|upside|downside|move\s+(?:up|down)|"
        r"(?:hit|make|print|set)\s+(?:a\s+)?new\s+(?:all[- ]time\s+)?(?:highs?|lows?))\b|"
        r"\b(?:higher|lower)\s+prices\s+(?:ahead|are\s+coming|to\s+come|soon|next)\b|\b(?:likely|probably|surely|certainly|definitely)\s+(?:to\s+)?"
        r"(?:rise|fall|bounce|go\s+up|go\s+down|recover|rally|crash|drop|pump|dump|moon)\b|"
        r"\bno\s+way\s+(?:this|it|that|price|the\s+price|" + _ASSET + r")\s+(?:goes|drops|falls|gets|stays)\s+(?:any\s+)?(?:lower|higher|down|up)\b|"
        r"\b(?:can\s+only\s+go\s+(?:up|down)|can'?t\s+go\s+(?:lower|higher|down|up)|(?:upside|downside)\s+is\s+(?:limited|huge|big|capped))\b|"
        r"\b(?:smart\s+money|whales|institutions|insiders)\s+(?:is|are)\s+(?:quietly\s+|already\s+)?(?:buying|selling|accumulating|loading|dumping)\b|"
        r"\b(?:a\s+)?\d+x\s+(?:is\s+)?(?:coming|ahead|incoming|likely|possible)\b|"
        r"\b(?:bull|bear)\s+(?:run|market|trend)\s+(?:is\s+)?(?:starts?|starting|begins?|beginning|ahead|coming|here)\b", _FLAGS)),
    # promises of returns
    ("promise", re.compile(
        r"\b(?:guarantee[ds]?|guaranteeing|risk[-\s]?free|no[-\s]risk|zero[-\s]risk|can'?t\s+lose|cannot\s+lose|can\s+not\s+lose|"
        r"sure\s+(?:profit|thing|win|bet|gains?)|easy\s+(?:money|profits?|gains?)|free\s+money|(?:double|triple|10x)\s+your\s+(?:money|account|portfolio|capital)|"
        r"never\s+lose|won'?t\s+lose|will\s+not\s+lose|always\s+(?:profit|win)s?|profits?\s+(?:is|are)\s+certain|certain\s+profits?|"
        r"(?:you'?ll|you\s+will|you\s+would|you'?d|this\s+will|that\s+will|it\s+will|this\s+would)\s+(?:\w+\s+)?(?:make|earn|net|gain|recover|win|get)\s+"
        r"(?:back\s+)?(?:more\s+|your\s+|the\s+|it\s+|them\s+|a\s+|some\s+|\$|\d)?(?:money|profits?|gains?|returns?|losses|loss|it\s+back|\d+)|"
        r"(?:will|'ll|can|could|would|going\s+to)\s+(?:\w+\s+)?(?:make|earn|get|recover|win)\s+(?:it|the\s+loss|your\s+loss(?:es)?|your\s+money)\s+back|"
        r"\d+(?:\.\d+)?\s?(?:%|percent)\s+(?:a|per|every|each)\s+(?:day|week|month|year)|"
        r"(?:returns?|profits?|gains?|upside)\s+of\s+(?:up\s+to\s+|at\s+least\s+)?\d+(?:\.\d+)?\s?(?:%|percent|x)|"
        r"will\s+(?:pay\s+off|be\s+profitable|make\s+you\s+(?:money|rich)|beat\s+the\s+market|outperform))(?!\w)", _FLAGS)),
]

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
# a price in a sentence that looks ahead: "BTC will reach 80,000", "expect 3,200 EUR by next week"
_PRICE_RE = re.compile(_PRICE, _FLAGS)
_AHEAD = re.compile(r"\b(?:will|going\s+to|gonna|expect(?:ed|ing)?|could|might|likely|heading|headed|on\s+track|poised|set\s+to|"
                    r"by\s+(?:next|the\s+end)|soon|next\s+(?:week|month|year|quarter)|targets?)\b", _FLAGS)


def lint_text(text: str) -> list[str]:
    """Violations of the non-advisory policy (``[]`` = clean), each ``"<kind>: <matched text>"``, in order."""
    violations: list[str] = []
    for sentence in _SENTENCE.split((text or "").strip()):
        if not sentence:
            continue
        for kind, pattern in _PATTERNS:
            match = pattern.search(sentence)
            if match:
                violations.append(f"{kind}: {match.group(0).strip(' ,;:.!?—–')}")
        price = _PRICE_RE.search(sentence)
        if price and _AHEAD.search(sentence):
            violations.append(f"price level: {price.group(0).strip()}")
    return list(dict.fromkeys(violations))
