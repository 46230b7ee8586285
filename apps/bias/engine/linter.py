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

# ---- structure: a stance that recommends, joined to trading content ---------------------------------------
#
# Phrase lists cannot foresee every wording, so each sentence is also read for its structure: does it take an
# advising stance (an imperative, a modal addressed to the reader, a speaker's or "most traders'" preference,
# an evaluation such as "is wise" or "tends to work", an opportunity such as "your chance to", a rhetorical
# question) and does it speak of trading or the market (an action on a position, a market move, an allocation,
# a stop placed somewhere)? Either alone passes: a habit has the stance but speaks of the trader's process;
# a fact about a past trade has the content but no stance. Both together is advice.

_STANCE = re.compile(
    r"\byou(?:'d|'ll|\s+(?:would|could|should|might|may|can|will|need\s+to|must|ought\s+to|want\s+to|wish\s+to))\b|"
    r"\b(?:should|shouldn'?t|could|couldn'?t|would|wouldn'?t|will|won'?t|can|can'?t|may)\s+(?:not\s+)?you\b|"
    r"\b(?:i|we)(?:'d|'ll|'m|\s+(?:would|will|am|might|could))\b|\bpersonally\b|\bif\s+i\s+were\b|\bin\s+your\s+shoes\b|"
    r"\b(?:many|most|some|smart|experienced|good|seasoned|savvy|professional)\s+(?:traders|investors|pros|people|professionals|buyers)\s+"
    r"(?:would|will|might|tend\s+to|like\s+to|prefer|usually|often)\b|\bmost\s+pros\b|"
    r"\bit\s+(?:might|may|could|would|will|can)\s+(?:be\s+(?:\w+\s+)?(?:wise|prudent|smart|sensible|reasonable|better|best|safer|worth)|pay|make\s+sense)\b|"
    r"\b(?:makes?|make)\s+sense\b|\bit\s+(?:pays|helps|works)\s+to\b|\b(?:no\s+shame|nothing\s+wrong|no\s+harm)\s+(?:in|with)\b|"
    r"\b(?:could|would|might|will|should|can)(?:n'?t)?\s+(?:be\s+|prove\s+)?(?:profitable|lucrative|hurt|get\s+you)\b|\bworth\s+a\s+(?:shot|try|punt)\b|"
    r"\b(?:your|a|the)\s+(?:signal|cue|sign|trigger)\s+to\b|\bthink\s+about\b|\b(?:do|does)\s+better\b|"
    r"\b(?:the\s+)?(?:best|good|great|successful|smart|profitable)\s+traders\b|\bcheap\s+insurance\b|\bleaving\s+money\s+on\s+the\s+table\b|\byou(?:'re|\s+are)\s+(?:better|best)\b|"
    r"\b(?:is|was|would\s+be|have\s+been|'s)\s+the\s+(?:\w+\s+)?(?:choice|call|move|play|side|option|way\s+to\s+go)\b|\b(?:should|ought\s+to|must|needs?\s+to)\b|"
    r"\b(?:smart|right|best|better|wise|safe|obvious|textbook|only)\s+(?:play|move|call|choice|option|thing)\s+(?:is|was|would\s+be|here)\b|"
    r"(?:\b(?:is|are|was|seems?|looks?|sounds?|would\s+be|feels?)|'s)\s+(?:(?:very|quite|more|the|a|an|probably|really|clearly)\s+)*"
    r"(?:wise|prudent|reasonable|sensible|smart|smarter|better|best|ideal|right|textbook|safe|safer|solid|attractive|favou?rable|"
    r"better\s+choice|smart\s+(?:play|move))\b|"
    r"\b(?:tends?\s+to|should|will|could|would|can|might|usually)\s+(?:work(?:\s+out)?|pay(?:\s+off)?|do\s+well|be\s+profitable)\b|"
    r"\boffers?\s+(?:a\s+|an\s+)?(?:good|great|nice|better|favou?rable|attractive|excellent|solid)\b|\bfavou?rs?\b|\bremoves?\s+(?:\w+\s+)?risk\b|"
    r"\bbelongs?\s+(?:at|near|under|below|above|around)\b|"
    r"\b(?:your|the|a|good|great|perfect|last|best|right|ideal)\s+(?:chance|moment|time|opportunity|window)\s+to\b|"
    r"\bone\s+(?:option|idea|approach|way|choice)\s+(?:is|would\s+be|could\s+be)\s+to\b|\b(?:the\s+)?plan\s+should\s+be\s+to\b|"
    r"\bbe\s+(?:ready|prepared)\s+to\b|\bbest\s+to\b|\b(?:can|could|should|may|might)\s+be\s+(?:doubled|increased|raised|added|held|sold|bought|trimmed|closed|cut)\b|"
    r"^(?:why\s+not|how\s+about|what\s+about|isn'?t|aren'?t|wouldn'?t|shouldn'?t|don'?t\s+you|doesn'?t|should|would|could)\b(?=.*\?\s*$)",
    _FLAGS)

_IMPERATIVE_START = re.compile(
    r"^(?:(?:if|when|once|as\s+soon\s+as|unless|whenever)\b[^,;]*[,;]\s*)?(?:(?:next\s+time|now|today|tomorrow|then|instead|just|simply|maybe|perhaps|please|also|so|first|and)[,]?\s+){0,2}"
    r"(?:buy|sell|short|add|trim|lighten|rebalance|bank|reinvest|build|rotate|trade|close|grab|put|keep|set|move|stay|hold|use|take|cut|"
    r"scale|average|hedge|go|get|be|let|sit|look|watch|avoid|focus|stick|place|lock|load|swap|switch|park|ride|enter|exit|re-?enter|"
    r"spread|trail|time|start|rebuy|aim|widen|tighten|raise|lower|cover|fade|flip)\b",
    _FLAGS)

_CONTENT = re.compile(
    r"\b(?:buy(?:s|ing)?|sell(?:s|ing)?|shorting|longs?\b(?<!how\slong)(?<!as\slong)(?!\s+(?:as|time|walk|day|week|hold|holds)\b)|"
    r"(?<!a\s)short(?=\s+(?:here|now|position|entry|trade|it|them)\b)|a\s+(?:small\s+|big\s+|quick\s+)?(?:long|short)\b(?!\s+(?:walk|break|pause|list|note|time|day|while|look))|"
    r"(?<=to\s)add\b(?!\s+(?:a|an|the|this|one|notes?|rules?|reasons?|it\s+to))|add(?:s|ing)?\s+(?:on|into|more|in|to\s+(?:it|them|the\s+position|your\s+position|winners|losers))\b|adding\s*[.?!,]?$|"
    r"lighten(?:ing)?(?:\s+up)?|rebalanc\w*|bank(?:s|ing|ed)?\s+(?:some\s+|a\s+bit\s+of\s+|more\s+)?(?:profits?|gains?)|reinvest\w*|"
    r"build(?:s|ing)?\s+(?:a|the|your|up\s+a)\s+(?:position|stack|bag)|rotat\w+|scal(?:e|es|ing|ed)\s+(?:back\s+)?(?:in|out|into|up)|"
    r"averag(?:e|es|ing)\s+(?:in|into|down|up)|hedg\w+|runners?|(?:stay|staying|be|remain|remaining|sit|sitting|go|going)\s+(?:in\s+|to\s+)?cash|"
    r"allocation|exposure|leverage|(?:take|taking|took)\s+(?:\w+\s+)?profits?|lock(?:s|ing|ed)?\s+in|dca|"
    r"(?:a\s+few|some|a\s+bit|a\s+little)\s+more\b(?!\s+(?:minutes?|hours?|time|notes?|days?|lines?|sleep|rest))|"
    r"stops?\s+(?:(?:a\s+few|\w+)\s+(?:percent|%)\s+)?(?:just\s+|right\s+|slightly\s+|well\s+)?(?:under|below|above|at|to|near|around)\s+(?!your\s+(?:plan|rule|limit))|breakeven|break-even|"
    r"(?:the\s+)?(?:dips?|rally|bounce|rebound|breakout|bottom|top|highs|lows|upside|downside|volatility|trends?|setups?|leaders?|laggards?|"
    r"strength|weakness|momentum|heavier|lighter|resistance|support)\b(?!\s+(?:rule|rules))|(?:swing|weekly|daily|monthly|prior|previous|recent)\s+(?:low|high)s?|range\s+(?:low|high)|\d+-day\s+(?:average|ma|moving)|moving\s+average|"
    r"risk[- ]to[- ]reward|risk/reward|these\s+(?:levels|prices)|weekly\s+close|daily\s+close|close\s+out|coins?\b|tokens?\b|"
    r"fad(?:e|es|ing)\s+(?:this|the|that|it)|cover(?:s|ing)?\s+(?:the|your)\s+short|(?:widen|tighten|trail|raise|lower|move)(?:s|ing)?\s+(?:your|the)\s+stop|"
    r"reduc(?:e|ing)\s+risk|an?\s+index\b|bigger\s+names|losers|winners|(?:lower|raise|improve|reduce)\s+your\s+(?:average|cost\s+basis|entry\s+price)|\b\d+(?:\.\d+)?\s?r\b|"
    r"(?:us|london|asia|asian|european|ny|new\s+york|weekly|monthly)\s+(?:open|close|session))",
    _FLAGS)

# structure the phrase lists miss: forecasts, promises and sizing read from their grammar
_STRUCTURED: list[tuple[str, re.Pattern]] = [
    ("market forecast", re.compile(
        r"\b(?:likely|probably|expected|set|poised|bound|about)\s+to\s+(?:test|retest|reach|hit|break|revisit|see|make|print|bounce|rise|fall|"
        r"drop|climb|rally|recover|pick\s+up|continue)\b|\b(?:we'?re|we\s+are|it'?s|it\s+is|price\s+is|prices\s+are)\s+(?:\w+\s+)?near\s+(?:a\s+|the\s+)?"
        r"(?:local\s+|cycle\s+|market\s+)?(?:bottom|top|low|high)s?\b|\bhealthy\s+(?:correction|pullback|dip|retrace\w*|reset)\b|"
        r"\b(?:bounce|rally|move|breakout|pump|dip|trend|rebound|recovery|sell-?off)\s+(?:will|is\s+going\s+to|should|might|may|could)\s+(?:likely\s+|probably\s+)?"
        r"(?:fail|hold|stall|continue|reverse|fade|extend|run|last)\b|"
        r"\b(?:before|ahead\s+of)\s+(?:the\s+next\s+leg|higher\s+prices|lower\s+prices|the\s+(?:next\s+)?(?:leg|move|pump|rally)\s+(?:up|down|higher|lower))\b|\b(?:history|the\s+chart|the\s+data|the\s+pattern|the\s+setup)\s+"
        r"(?:suggests?|points?\s+to|signals?|implies|hints?\s+at|says?)\b|\b(?:upside|downside)\b[^.!?]{0,20}?\b(?:looks?|seems?|is|appears?)\s+"
        r"(?:\w+\s+)?(?:limited|capped|huge|big|small|large|asymmetric)\b|\bexpect\s+(?:\w+\s+){0,2}to\s+(?:pick\s+up|increase|rise|fall|drop|spike|calm)\b",
        _FLAGS)),
    ("asset recommendation", re.compile(
        r"\b(?:has|have|offers?|with)\s+(?:more|less|the\s+most|limited|big|huge|real)\s+(?:upside|downside|potential|room\s+to\s+run)\b|"
        r"\b(?:the\s+)?safe(?:st|r)?\s+(?:place|haven|spot|option|choice|bet)\b|\bpark\s+(?:your\s+)?(?:cash|money|funds|capital)\b", _FLAGS)),
    ("promise", re.compile(
        r"\b(?:return|returns|yield|yields|make|makes|earn|earns|deliver|delivers|net|nets|gain|gains)\s+(?:you\s+)?(?:around\s+|about\s+|roughly\s+|up\s+to\s+|at\s+least\s+|over\s+)?"
        r"\d+(?:\.\d+)?\s?(?:%|percent)\s*(?:a\s+|per\s+|each\s+|every\s+)?(?:day|week|month|year|daily|weekly|monthly|yearly|annually)\b", _FLAGS)),
    ("position sizing", re.compile(
        r"\b(?:risk|allocate|put|bet|stake)\s+(?:no\s+more\s+than|at\s+most|only|up\s+to|about)\s+(?:one|two|three|four|five|half\s+a|a\s+half)\s+(?:percent|per\s+cent)\b|"
        r"\b\d+(?:\.\d+)?\s?%\s+(?:allocation|position|stake|weight(?:ing)?)\b|\ballocate\s+\d+(?:\.\d+)?\s?%|"
        r"\b(?:position|size|stake|exposure|bet|allocation)\s+(?:can|could|should|may|might)\s+(?:now\s+)?be\s+(?:doubled|tripled|increased|raised|"
        r"grown|added\s+to|scaled\s+up|halved|cut|reduced)\b", _FLAGS)),
    ("price level", re.compile(
        r"\b(?:reasonable|sensible|logical|natural|obvious|prudent|safe|clean)\s+(?:entry|exit|stop|target|level|spot|place|price)\b", _FLAGS)),
]

_CLAUSE_SPLIT = re.compile(r"[,;:—–]\s*|\s+(?:and|then|so|but)\s+", _FLAGS)

# coordinated nouns ("your plan for entry and exit") are not an imperative after "and"
_TRADE_NOUN = r"(?:entry|entries|exit|exits|buys?|sells?|stops?|targets?)"
_NOUN_PAIR = re.compile(r"\b" + _TRADE_NOUN + r"\s+(?:and|or|&)\s+" + _TRADE_NOUN + r"$", _FLAGS)


# a modal or evaluating stance (not an imperative, which is how habits are worded) reads any word of trading as
# content, once the trader's own process is masked: "before the next entry", "your exit conditions",
# "your usual size" speak of a routine, not of a trade to make
_TRADE_WORD = re.compile(
    r"\b(?:positions?|entry|entries|exits?|exiting|stops?|targets?|gains?|profits?|purchases?|averages?|setups?|momentum|laggards?|"
    r"listings?|(?<!a\s)short|prices?|corrections?|pumps?|flush|funding|off\s+the\s+table|hold(?:ing)?|sell(?:ing)?|buy(?:ing)?|"
    r"closing|trailing|sizing|heavier|lighter|bigger\s+(?:bet|stake)|stablecoins?|stables)\b", _FLAGS)
_PROCESS = re.compile(
    r"\b(?:before|after|when|whenever|while|until|during|since|once|between)\s+(?:you\s+\w+\s+)?(?:(?:each|every|any|the|your|a|an|this|that|"
    r"another|new|next|planned|unplanned|losing|winning|first|last)\s+)*(?:trades?|entry|entries|exits?|orders?|positions?|loss(?:es)?|"
    r"sessions?)\b|\b(?:entry|exit|stop|sell|buy)\s+(?:conditions?|rules?|plans?|reasons?|criteria|checklists?|notes?|button)\b|"
    r"\byour\s+(?:planned|usual|normal|standard|written|original|own|fixed)\s+(?:\w+\s+)?(?:size|stop|exit|entry|position|target|sizes)\b|"
    r"\bposition\s+sizes?\b|\bwhy\s+you\s+\w+|\b\w+\s+you\s+(?:planned|wrote|noted|set|picked|chose|listed)\b|\bprice\s+alerts?\b|\bon\s+(?:to|onto)\s+your\b|\bhold(?:ing)?\s+(?:off|yourself|back|times?)\b", _FLAGS)
# a sentence opening with a trading action as its subject claims something about that action:
# "Exiting now locks in a solid gain", "Closing half now is the balanced choice"
_ACTION_SUBJECT = re.compile(
    r"^(?:buying|selling|exiting|closing|holding|shorting|being\s+(?:long|short)|going\s+(?:long|short)|trailing|adding|trimming|"
    r"re-?entering|entering|averaging|scaling|spreading|waiting\s+for|taking\s+(?:profits?|some|half)|cutting|staying\s+in)\b"
    r"(?=[^.!?]*\b(?:locks?\s+in|protects?|keeps?\s+(?:the|your|more)\s+(?:profits?|gains?)|saves?\s+you|pays?\b|beats?|"
    r"(?:is|would\s+be|will\s+be)\s+the\s+(?:\w+\s+)?(?:choice|call|move|play|side|option|answer|way)))", _FLAGS)


def _structural(sentence: str, *, instruction_found: bool) -> list[str]:
    found: list[str] = []
    stance = _STANCE.search(sentence) or _ACTION_SUBJECT.search(sentence.strip())
    own_process_masked = _PROCESS.sub(" ", sentence)
    content = _CONTENT.search(own_process_masked)
    if stance and not content:
        content = _TRADE_WORD.search(own_process_masked)
    if not stance and not content:
        pass
    elif not stance:
        # an imperative opens the sentence or any of its clauses ("Give the trade room and widen your stop")
        clauses = _CLAUSE_SPLIT.split(sentence.strip())
        stance = next(filter(None, (_IMPERATIVE_START.search(c.strip()) for c in clauses)), None)
    if stance and content and not instruction_found:
        found.append(f"instruction: {stance.group(0).strip()} … {content.group(0).strip()}")
    for kind, pattern in _STRUCTURED:
        match = pattern.search(sentence)
        if match:
            found.append(f"{kind}: {match.group(0).strip(' ,;:.!?—–')}")
    return found


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
        found: list[str] = []
        for kind, pattern in _PATTERNS:
            match = pattern.search(sentence)
            if match and not (kind == "instruction" and _NOUN_PAIR.search(sentence[:match.end()])):
                found.append(f"{kind}: {match.group(0).strip(' ,;:.!?—–')}")
        found.extend(_structural(sentence, instruction_found=any(v.startswith("instruction: ") for v in found)))
        price = _PRICE_RE.search(sentence)
        if price and _AHEAD.search(sentence):
            found.append(f"price level: {price.group(0).strip()}")
        violations.extend(found)
    return list(dict.fromkeys(violations))
