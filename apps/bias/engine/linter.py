"""The non-advisory linter: every coach text a model writes (reflections, the digest, the gate) must talk
about behaviour only. It is deny-by-default for trading content.

A rejected model text falls back to our own template, so a false rejection is cheap and a missed piece of
advice is costly. The linter therefore does not look for advice; it looks for *trading content* and lets it
through only in a few recognised forms. Each sentence is read as a small grammar:

1. **Mask the trader's own process.** Phrases about the user's routine are replaced by a placeholder first:
   "your usual size", "your exit conditions", "before the next entry", "price alerts", "the stop in your
   plan", "why you sold", "every trade". What is left is what the sentence says about the market.
2. **Find trading content.** Actions on a position (buy, sell, hold, enter, exit, short, go long, add,
   trim, size, take profit, close, re-enter, scale, hedge, load up, DCA and their slang), the objects of
   trading (positions, stops, targets, allocations, exposure, leverage, cash and stablecoins as a place to
   be), market structure (dips, rallies, bottoms, support, trends, momentum), asset names and asset classes,
   market moves as verbs (rally, crash, bounce, recover) and market directions ("climb further", "break
   upwards", "keep rising", "room for it to climb"), returns, and any number that reads as a price, a
   percentage or a multiple.
3. **Split the sentence into clauses** and each clause into its head and a trigger ("when the price drops
   5% in a day", "after a losing exit"). A trigger may speak of the market when the head is process only:
   "Step back when the price drops 5% and reread your plan" passes; "until …" names when to trade, so a
   trigger with "until" and trading content is market timing, and so is a trigger with an advisory word or
   one that takes a trade for granted ("when buying the dip").
4. **A clause whose head holds trading content passes only in an allowed form**, and only when that clause
   carries no advisory or forward-looking marker (a modal, "consider", "better", "best", "now", "next
   time", "will", "about to", an evaluation such as "is the smart play", a question):
   - a description of what already happened: the clause opens on its subject and its verb is in the past
     ("You bought 12 minutes after a 9% spike", "The price had risen 12% before this buy");
   - a fact about the trader's own record or rules in the present ("Your usual entry size is about 500
     USD", "Your plan's stop is 5% from the entry");
   - a remark about feelings and patterns ("Buying after a big run is when FOMO bites hardest");
   - a disclaimer that nobody knows where the market goes;
   - a reflective question about what happened or how it felt ("How did you decide on the size?"), not a
     rhetorical one ("Shouldn't you take some profit?").
   Everything else with trading content is rejected: imperatives ("Sell half"), suggestions, hindsight
   ("a better entry would have been", "too early"), forecasts, asset comparisons, sizing, price levels,
   promises (also of account growth, "should grow your account by a few percent each month").
5. **A maxim** ("… tends to produce better results", "… is what separates consistent traders", "… is
   usually rewarded") is a generic claim that a way of trading works: a gerund naming a trade in that
   sentence ("Selling into strength", "Letting winners run") loses its allowed form.

A named market passes only in a past-tense description of the user's own trade ("You bought SOL at $142")
or a reflective question about it, in a sentence that compares it with no other market or asset class,
makes no safety claim and carries no other finding; anywhere else it is rejected. An amount in a currency
("0.5 BTC") is not a market. Each finding reads ``"<kind>: <the clause>"``; kinds: instruction, price
level, position sizing, asset recommendation, market forecast, promise, named market. The labelled corpus in
``apps/bias/tests/engine/linter_corpus.py`` measures it (precision and recall, and held-out rounds).
"""
from __future__ import annotations

import re

_I = re.IGNORECASE


# ---- 1. the trader's own process, masked first ------------------------------------------------------------

_SCOPE_NOUN = r"(?:trades?|entry|entries|exits?|orders?|positions?|sales?|buys?|sells?|loss(?:es)?|sessions?|one)"
_PROCESS = re.compile(
    r"\b(?:any|each|every)\s+(?:buy|sell|entry|exit|trade|order)\s+(?:or|and)\s+(?:buy|sell|entry|exit|trade|order)\b|"
    # the user's own size, plan, rules and records
    r"\b(?:your|the|a|my|their)\s+(?:own\s+)?(?:planned|usual|normal|standard|written|original|own|fixed|median|typical|one|"
    r"same|stated|maximum|minimum)\s+(?:[\w-]+\s+){0,2}(?:size|sizes|stop|stops|exit|exits|entry|entries|position|positions|"
    r"target|targets|risk|loss|plan|rule|one)\b|"
    r"\b(?:the\s+)?same\s+size\b|\b(?:position|trade|entry)\s+sizes?\b|\bsize\s+(?:rule|reviews?|cap)\b|\byour\s+size\b|"
    r"\b(?:entry|exit|stop|sell|buy|trade|order|stop[- ]loss)\s+(?:conditions?|rules?|plans?|reasons?|criteria|checklists?|notes?|"
    r"button|reasoning|times?|counts?|limits?)\b|"
    r"\b(?:price|trade)\s+(?:alerts?|notifications?|alarms?)\b|\b(?:the\s+)?(?:stop|target|entry|exit|size|risk|reward)\s+(?:in|of|from)\s+your\s+(?:plan|intent|rule)s?\b|"
    r"\byour\s+plan'?s\s+(?:stop|target|entry|exit|size|risk|reward|loss)\b|\b(?:stop|target|size)\s+your\s+plan\b|"
    r"\b(?:the|your|a)\s+(?:\w+\s+)?(?:stop|target|exit|entry|size)\s+(?:you|your\s+plan)\s+(?:had\s+)?(?:planned|wrote|set|stated|"
    r"named|picked|chose|is\s+built\s+on)\b|"
    r"\b(?:setups?|trades?|markets?|positions?|entries|exits?|stops?|price|prices|size|level|(?:price\s+)?(?:moves?|spikes?|drops?|jumps?|"
    r"candles?)|news|posts?|headlines?|charts?)\s+you\s+(?:had\s+|have\s+|'d\s+)?(?:just\s+|already\s+)?(?:planned|wrote|noted|set|"
    r"picked|chose|listed|traded|saw|seen|read|watched|heard|noticed|used|paid|got|had|felt)\b|"
    r"\b(?:why|how|what)\s+you(?:'re|'d|\s+are|\s+were)?\s+(?:\w+)(?:\s+(?:this|that|the|your|it)(?:\s+(?:entry|exit|trade|position|size|stop|buy|sale|order))?)?\b|"
    # the trader's own questions, process nouns and P/L wording
    r"\b(?:the\s+)?(?:speed|pace|moment|time|point)\s+of\s+(?:the\s+|your\s+|this\s+|that\s+)?(?:re-?entry|entry|exit|sale|purchase|buy|re-?entering|entering|exiting|buying|selling)\b|"
    r"\bworth\s+(?:reflecting|noticing|looking|thinking|writing|journaling|noting|reviewing|pausing|asking|remembering|sitting)\w*(?:\s+(?:on|at|about|down|with))?|"
    r"\bprofit\s+(?:and|&)\s+loss\b|\b(?:(?:a|one)\s+)?(?:(?:short|brief|quick|few|simple)\s+)?journal\s+(?:entry|entries|notes?|lines?)\b|"
    r"\b(?:the\s+)?confirm(?:ation)?\s+(?:button|step|screen)\b|\b(?:your\s+)?(?:daily|weekly|monthly)\s+(?:loss|trade|risk)\s+(?:cap|limit)s?\b|"
    r"\b(?:the|this|that|a|each|every)\s+(?:[\w-]+\s+)?(?:tag|label)s?(?:\s+here)?\b|\bwatch\s?list\s+you\s+\w+(?:\s+up)?\b|\bat\s+the\s+(?:top|bottom)\s+of\s+(?:your|the|a|each|every)\s+(?:journal|page|notes?|screen|list|plan|checklist|day|entry)\b|\b(?:the\s+one|what|the\s+\w+)\s+you'?d\s+(?:written|planned|noted|set|picked|chosen|said)\b|"
    # scope: every / each / the next trade of the user's own activity
    r"\b(?:each|every|any|all|no|new|the\s+next|your\s+next|the\s+first|the\s+last|your\s+last|another|an\s+extra|extra|"
    r"unplanned|planned|winning|losing)\s+(?:\w+\s+)?" + _SCOPE_NOUN + r"\b(?=\s+(?:after|before|during|within|until|in|of|at|"
    r"you|that|this|today|for|is|was|were|are|goes|came|made|met|against|without|with)\b|\s*[.!?;,]|$)|"
    r"\b(?:entries|exits|trades|orders|sales)\b(?=\s+(?:after|before|during|within|made|in|that|you)\b)|"
    r"\b(?:at|on|since|from)\s+(?:the\s+)?(?:entry|exit)\b|"
    r"\b(?:before|after|when|whenever|while|until|during|since|once|between)\s+(?:you\s+\w+\s+)?(?:(?:each|every|any|the|your|a|an|"
    r"this|that|another|new|next|planned|unplanned|losing|winning|first|last|extra)\s+)*" + _SCOPE_NOUN +
    r"\b(?:\s+(?:or|and)\s+" + _SCOPE_NOUN + r"\b)?|"
    r"\b(?:hold(?:ing)?|held)\s+(?:off|yourself|back|times?|periods?|rule)\b|\bholding\s+time\b|\b(?:on|onto|to)\s+your\s+(?:plan|rules?|limit)\b|"
    r"\bstop\s+(?:trading|checking|refreshing|for\s+the\s+day|there|the\s+session)\b|\bclos(?:e|ing|ed)\s+the\s+(?:app|laptop|screen|"
    r"chart|session|journal|tab)\b|\bend\s+the\s+session\b|\btrade\s+(?:count|number|limit)\b|\bnumber\s+of\s+trades\b|"
    r"\btrades?\s+(?:per|a)\s+day\b|\b(?:a|the|any)\s+\w+\s+you\s+(?:did\s+not|didn'?t|had\s+not|hadn'?t)\s+plan(?:ned)?(?:\s+for)?\b|"
    r"\b(?:ones\s+)?worth\s+replaying\b|\b(?:replay|review|compare|check)\s+how\s+[\w\s-]{0,40}?\s+compared\s+with\s+\w+|\btrading\s+(?:day|mode|app|hours?|session)\b|\bthe\s+(?:order|entry)\s+button\b",
    _I)

# a question the trader writes to themself ("why am I selling?"), in quotes
_QUOTED_QUESTION = re.compile(r"[\"“']\s*(?:why|what|how)\s+(?:am|do|did|was|is|are)\s+I\b[^\"”?]{0,60}\?\s*[\"”']", _I)

# ---- 2. trading content -------------------------------------------------------------------------------------

_ASSET_NAMES = (r"btc|xbt|eth|sol|xrp|ada|doge|avax|bnb|ltc|matic|shib|pepe|bitcoin|ethereum|solana|cardano|dogecoin|ripple|"
                r"litecoin|polkadot|chainlink|ether|tron|polygon|avalanche|toncoin|arbitrum|stellar|monero|"
                r"(?-i:DOT|LINK|UNI|ARB|OP|TON|TRX|NEAR|APT|SUI|ATOM|XLM|BCH|XMR)")
_NAMED_MARKET = re.compile(r"(?<![\d.,]\s)(?<![\d.,])\b(?:" + _ASSET_NAMES + r"|(?-i:[A-Z]{2,6}-(?:USD|USDT|USDC|EUR|BTC)))\b", _I)

_TC_ACTION = (
    r"buy(?:s|ing|ers?)?|bought|rebuy\w*|sell(?:s|ing|ers?)?|sold|shorts|shorting|shorted|longs|longing|purchases?|"
    r"short(?=\s+(?:it|them|this|that|the|a|an|here|now|more|some|every|any|into|on|at|again|position|coin)\b)|"
    r"double\s+down|doubling\s+down|(?:make|makes|win|get|earn|recover)\s+(?:it\s+|the\s+loss(?:es)?\s+|your\s+\w+\s+)?back|make\s+back|"
    r"(?:go|goes|going|went|head|heads|heading|move|moves|moving|trade|trades|trading|drop|fall|climb|run)\s+(?:higher|lower|up|down)|"
    r"reduc\w+\s+(?:\w+\s+)?risk|(?:into|at|before)\s+the\s+(?:close|open)|(?:us|london|asia|asian|european|ny|new\s+york|weekly|daily|monthly)\s+(?:open|close|session)|(?:lower|raise|improve|reduce)\s+your\s+(?:average|cost)|"
    r"(?:go|goes|going|went|be|been|being|stay|staying|get|getting|got|remain)\s+(?:long|short|in\s+cash|to\s+cash)|"
    r"a\s+(?:small\s+|big\s+|quick\s+|partial\s+)?(?:long|short)\b(?!\s+(?:walk|break|pause|list|note|time|day|while|look|line|"
    r"session|sessions|checklist|cool-?down|breather|rest|time-?out|reset|delay|wait|journal|review|reflection|gap|window|moment|"
    r"period|stretch|interval|span|routine|ritual|habit|pre-|written|sentence|paragraph|check|list|question|stroll))|"
    r"PROC\s+(?:\w+\s+)?(?:bigger|smaller|larger|heavier|lighter|twice|double)(?!\s+than\s+(?:you|expected))|hold(?:s|ing|ers?)?|held|hodl\w*|bail(?:s|ed|ing)?|adding(?!\s+(?:a|an|the|this|one|notes?|rules?|reasons?|it\s+to)\b)|"
    r"(?:half|double|twice|triple|a\s+quarter\s+of|a\s+third\s+of)\s+(?:the\s+|your\s+)?(?:PROC|size)|chas(?:e|es|ed|ing)\s+(?:it|them|this|that|the\s+(?:move|pump|breakout|rally|price))|"
    r"(?:be|being)\s+(?:greedy|fearful|aggressive|contrarian)|airdrops?|bridg(?:e|es|ed|ing)\s+(?:your\s+)?(?:funds|money|coins|tokens)|"
    r"(?:yield\s+)?farm(?:s|ed|ing)?\b|liquidity\s+pools?|(?:half|double|twice|triple|a\s+quarter\s+of)\s+(?:the|your)\s+size|"
    r"(?:bigger|smaller|larger|heavier|lighter|reduced|lower|higher|partial|half|trimmed|modest|tiny|full|increased)\s+(?:sizes?|positions?|bets?|stakes?|amounts?|orders?)|"
    r"go(?:es|ing)?\s+ahead|went\s+ahead|proceed(?:s|ing|ed)?(?!\s+(?:to\s+)?(?:the\s+)?(?:journal|checklist|plan|questions?|reflection|pause))|"
    r"(?:further|farther|more|higher|lower|a\s+long\s+way)\s+to\s+(?:go|run|fall|climb|drop|rise)|"
    r"(?:double|triple|increase|raise|reduce|halve|lower|boost|bump|grow|cut|shrink)(?:s|d|ing)?\s+(?:your\s+|the\s+)?PROC|"
    r"wait(?:ing)?\s+for\s+(?:\w+\s+){1,3}?to\s+(?:drop|fall|rise|climb|cross|reach|hit|break|cool|come\s+(?:back|down)|settle|"
    r"retrace|stabili[sz]e|recover|bounce|dip|turn)|(?:the\s+|your\s+|next\s+|the\s+next\s+)long\b(?!\s+(?:walk|break|pause|list|note|"
    r"time|day|while|look|line|session|sessions|checklist|run|term|hold))|re-?enter\w*|enter(?:s|ing|ed)?|exit(?:s|ing|ed)?|entry|entries|"
    r"add(?:s|ing|ed)?(?=\s+(?:on|into|more|in\b|to\s+(?:it|them|(?:the|your|this|that)\s+(?:position|bag|stack|trade|longs?|shorts?|winners|losers|holdings?)|winners|losers)|a\s+(?:little|bit|few))|\s*[.!?,]|$)|"
    r"trim\w*|lighten\w*|clos(?:e|es|ed|ing)\s+(?:out|(?:\w+\s+){0,3}?(?:position|positions|trade|long|short|it|them|half|everything))|"
    r"(?:take|takes|taking|took|bank|banking|lock|locking|book|booking)\s+(?:in\s+)?(?:\w+\s+){0,3}?(?:profits?|gains?|money|chips)|lock(?:s|ed|ing)?\s+in\b|"
    r"profit[- ]taking|off\s+the\s+table|cut(?:s|ting)?\s+(?:\w+\s+)?(?:losses|losers|position|exposure|it)|"
    r"scal(?:e|es|ed|ing)\s+(?:back\s+)?(?:in|out|into|up|down)|averag(?:e|es|ed|ing)\s+(?:in|into|down|up)|dca\w*|"
    r"accumulat\w+|load(?:s|ed|ing)?\s+(?:up|the\s+boat)|(?:go|goes|going|went|be|stay|staying)\s+flat|catch(?:es|ing)?\s+(?:a|the)\s+(?:falling\s+)?knife|"
    r"falling\s+knife|starter(?:\s+position)?|build(?:s|ing)?\s+(?:a|the|your)\s+(?:\w+\s+)?(?:position|stack|bag)|"
    r"let(?:s|ting)?\s+(?:the\s+|your\s+)?(?:\w+\s+)?(?:winners?|it|them|profits?|positions?|rest|gains?|trades?)\s+(?:run|ride|compound|grow|breathe|work)|"
    r"(?:climb|rise|rising|rises|fall|falls|falling|drop|drops|dropping|sink|sinks|slide|slides|push|pushes|break|breaks|breaking|"
    r"trend|trends|trending|grind|grinds|rip|rips|extend|extends|continue|continues|head|heads|resolve|resolves|move|moves|go|goes|run|runs)\s+"
    r"(?:further|higher|lower|upwards?|downwards?|to\s+the\s+(?:upside|downside)|out\s+(?:of\s+the\s+range|upwards?|higher))|"
    r"(?:keep|keeps|keeping|kept|continues?|continued|continuing)\s+(?:to\s+)?(?:ris\w+|climb\w*|fall\w*|drop\w*|go\w*\s+(?:up|down)|"
    r"run\w*|pump\w*|slid\w*|sink\w*|grind\w*|bleed\w*|rall\w+|trend\w*)|"
    r"swing\s+trad\w+|scalp\w*|day\s+trad(?:e|es|ing)\b|(?:daily|weekly|hourly|higher|lower)\s+(?:charts?|time\s*frames?)|"
    r"the\s+fed\b|fomc|cpi\b|rate\s+(?:cuts?|hikes?|decisions?)|"
    r"room\s+(?:for\s+\w+\s+)?to\s+(?:climb|rise|run|grow|go|move|fall|drop|extend|expand|push|rally)|consolidat(?:ion|ions|ing)|sideways|range[- ]bound|"
    r"(?:put|putting)\s+(?:\w+\s+){0,4}?to\s+work|half\s+(?:of\s+)?(?:it|them|your|the\s+(?:position|bag|stack))|(?:a\s+)?(?:third|quarter)s?\s+of\b|"
    r"(?:be|being)\s+in\b(?=\s+(?:before|by|early|now|here|when|on|at|for|ahead)\b|\s*[.,;]|$)|dump(?:s|ed|ing)?|pil(?:e|ed|ing)\s+in|ape[sd]?\s+in|buy-?and-?hold|"
    r"(?:get|getting|got|jump|jumping|step|stepping)\s+(?:back\s+)?(?:in|into|out)\b(?!\s+of\s+(?:the\s+)?(?:chair|house|room|app|screen))|"
    r"flip\w*|rotat\w+|swap\w*|hedg\w+|cover(?:s|ing|ed)?\s+(?:the|your|a)\s+short|fad(?:e|es|ing)\s+(?:this|the|that|it)|"
    r"ladder\w*|stack(?:s|ing)?\s+(?:sats|coins)|reinvest\w*|rebalanc\w*|allocat\w+|invest(?:s|ing|ed)?\s+in|"
    r"scoop\w*|grab(?:s|bing)?\s+(?:some|more|a\s+bag)|pick(?:s|ing)?\s+up\s+(?:some|more|a\s+few)|"
    r"let\s+(?:it|the\s+rest|your\s+winners|winners|them|the\s+position)\s+(?:run|ride)|ride\s+(?:the\s+|this\s+|it)|"
    r"size[sd]?\s+(?:up|down|into|in)|sizing\s+(?:up|down|in|into)|nibbl\w+|all[- ]in|full\s+size|heavier|lighter|bigger\s+(?:bet|stake|position|names)|"
    r"(?:double|triple|increase|raise|reduce|halve|lower|boost|bump|grow|widen|tighten|trail|move|set|put|place)(?:s|d|ing)?\s+"
    r"(?:your\s+|the\s+|a\s+)?(?:\w+\s+)?(?:position|stake|exposure|allocation|bet|bag|stop|stop-loss|take-profit|target|limit\s+order|"
    r"order|bids?|money|savings)"
)
_TC_OBJECT = (
    r"positions?|(?:a|the|your|my|tight|trailing|mental|wide|hard|soft)\s+stops?|stops?\s+(?:at|below|above|under|near|to|order)|stop[- ]?loss(?:es)?|cheap|"
    r"(?:weekly|daily|monthly|swing|range|prior|previous|recent|yesterday's|local)\s+(?:low|high)s?|take[- ]profits?|tp|sl|targets?|allocations?|exposure|leverage|"
    r"stablecoins?|stables|dry\s+powder|runners?|bags?|bids?|limit\s+(?:buy|sell|order)|orders?\s+(?:at|near|below|above)|"
    r"upside|downside|returns?|profits?|yields?|risk[- ]to[- ]reward|risk/reward|\d+r\b|breakeven|break-even|"
    r"fills\b|(?:a|the|better|good|bad|cheaper)\s+fill\b|"
    r"support|resistance|dips?|rally|rallies|bounce[sd]?|rebound|breakouts?|breakdown|pullbacks?|retrace\w*|retest\w*|correction|"
    r"bottom(?:s|ing|ed)?|tops?\b|topping|highs|lows|trends?|momentum|strength|weakness|setups?|levels|(?:this|that|these|key|price|the|a)\s+level(?!\s+of)|prices?|"
    r"swing\s+(?:low|high)|range\s+(?:low|high)|moving\s+average|\d+-day\s+average|funding|squeeze|leg\s+(?:up|down)|"
    r"bull\w*|bear(?:s|ish)?\b|uptrend|downtrend|cycle|altseason|halving|(?<=token\s)unlocks?|(?<=the\s)unlocks?\b(?!\s+(?:in|after|once|when)\s)|listings?|volume|volumes|order\s+book|open\s+interest|dominance|"
    r"coins?|tokens?|alts|altcoins?|memecoins?|crypto(?:s|currency)?|stocks|(?<!take\s)stock|shares|equities|etfs?|index|gold|majors|"
    r"large[- ]caps?|blue[- ]chips?|" + _ASSET_NAMES + r"|leaders|laggards?|puts|calls|options|futures|staking|cash(?!\s+(?:flow))|"
    r"rip|moon\w*|pump\w*|crash\w*|tank\w*|plung\w*|soar\w*|explod\w*|skyrocket\w*|rall(?:y|ies|ied)|recover\w*|"
    r"outperform\w*|underperform\w*|capitulat\w*|oversold|overbought|undervalued|overvalued|bargain|steal"
)
_TC = re.compile(r"\b(?:" + _TC_ACTION + r"|" + _TC_OBJECT + r")\b", _I)

# a number that reads as a price, a percentage or a multiple
_NUMBER = re.compile(
    r"[$€£¥]\s?\d[\d,]*(?:\.\d+)?\s*[km]?\b|\b\d{1,3}(?:,\d{3})+(?:\.\d+)?\b|\b\d+(?:\.\d+)?\s?k\b|"
    r"\b\d+(?:\.\d+)?\s?(?:usd|usdt|usdc|eur|dollars?|bucks|sats)\b|\b(?!19\d\d\b|20\d\d\b)\d{4,}(?:\.\d+)?\b|"
    r"[+-]?\b\d+(?:\.\d+)?\s?(?:%|percent|per\s+cent)|\b\d+(?:\.\d+)?\s?[x×]\b|"
    r"\b(?:one|two|three|four|five|ten|twenty)\s+(?:percent|per\s+cent|to\s+one)\b|\ba\s+(?:third|quarter|half)\b", _I)

# ---- 3. clauses and triggers -------------------------------------------------------------------------------

_CLAUSE_SPLIT = re.compile(r"\s*(?:[;—–]|:(?!\d\d))\s*|,(?!\d)\s*|\s+\b(?:and(?!\s+\d)|but|so(?!\s+(?:far|much|many|long|that|few|little))|then|or|because|"
                           r"which|while)\b\s+", _I)
_TRIGGER = re.compile(r"\b(?:after|before|during|within|following|whenever|when|once|while|if|as\s+soon\s+as|each\s+time|"
                      r"every\s+time|any\s+time|until|till|unless|in\s+the\s+(?:first|last)\s+hour|instead\s+of|rather\s+than)\b", _I)
_TIMING = re.compile(r"^(?:until|till|unless|instead\s+of|rather\s+than)\b", _I)
_LEAD = re.compile(r"^(?:(?:it\s+(?:sounds|seems|looks)\s+like|(?:over|across|during|in|on|for|within|throughout)\s+(?:the|these|those|this|that|last|past|your)\s+"
                   r"(?:\w+\s+){0,2}?(?:days?|weeks?|months?|sessions?|fortnight|period|evening|morning|afternoon|weekend|year|night)|(?:this|it)\s+(?:is|was)\s+the\s+(?:first|second|third|only|\w+th)\s+time(?:\s+(?:this|in|all)\s+\w+)?"
                   r"(?:\s+that)?|(?:on\s+|last\s+)?(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday)(?:\s+(?:morning|afternoon|evening|night))?|"
    r"yesterday|earlier(?:\s+today)?|last\s+night|this\s+(?:morning|afternoon|evening)|according\s+to\s+PROC|"
                   r"(?:it'?s\s+PROC|ask|asking|wonder|consider)\s+(?:yourself\s+)?(?:whether|if)|next\s+time|this\s+time|now|today|tomorrow|tonight|then|instead|just|simply|maybe|perhaps|please|"
                   r"also|so|and|but|or|first|always|never|honestly|really|really|also|only|definitely|probably|"
                   r"don'?t|do\s+not|do|let'?s|try|try\s+to|consider)\b[,]?\s*)+", _I)

# ---- 4. markers: advice, hindsight, forecast, evaluation -----------------------------------------------------

_MARKER = re.compile(
    r"(?:\b(?:should|shouldn'?t|could|couldn'?t|would|wouldn'?t|might|may|must|mustn'?t|can|can'?t|cannot|will|won'?t|shall|ought|"
    r"gonna|going\s+to|about\s+to|need(?:s)?\s+to|have\s+to|has\s+to|had\s+better|want(?:s)?\s+to|wish\s+to|"
    r"consider\w*|suggest\w*|recommend\w*|advis\w+|think\s+about|personally|in\s+your\s+shoes|if\s+i\s+were|"
    r"(?<!was\syour\s)(?<!were\syour\s)(?<!also\syour\s)(?:better|best)(?!\s+(?:result|results|day|days|week|weeks|month|streak|run)\b)|ideal|smart(?:er|est)?|wise[r]?|prudent|sensible|"
    r"reasonable|right\s+(?:move|call|choice|time|moment|spot|play)|"
    r"textbook|safe(?:r|st)?|good\s+(?:idea|time|moment|entry|exit|spot|bet)|great|nice(?:ly)?|worth|no[- ]brainer|attractive|"
    r"favou?r\w*|solid|clean(?:er)?|perfect|optimal|obvious|balanced|insurance|healthy|makes?\s+sense|no\s+shame|no\s+way|"
    r"pays?|pay\s+off|works?\s+(?:well|out)|work\s+out|helps?\s+you|removes?|protects?|keeps?\s+the\s+profit|beats?|"
    r"(?:the|your|a)\s+(?:move|play|call|choice|option|idea|bet|side|signal|cue)\s+(?:is|was|would|here|now|to)\b|"
    r"(?:the|your|a)\s+(?:way\s+to\s+go|chance|opportunity|time\s+to|moment\s+to)|"
    r"time\s+to|chance\s+to|opportunit\w+|signal|deserves?|belongs?|plenty|enough\s+to|"
    r"if\s+you\s+(?:only|just)\s+\w+ed|if\s+you\s+had\s+(?:held|sold|bought|exited|entered|waited|stayed|kept|taken|added|cut|closed)|"
    r"too\s+(?:early|late|soon)|(?:decent|excellent|poor|terrible|awful|nice|fair|well-timed|mistimed|lucky|sharp)\s+"
    r"(?:entry|exit|price|buy|sale|pick|choice|timing|level|fill|call)|left\s+money\s+on\s+the\s+table|missed\s+(?:out|the\s+(?:move|rally|run|bottom|top|pump))|"
    r"tomorrow|tonight|next\s+(?:time|week|month|year|one|cycle|leg)|from\s+here|yet|at\s+these\s+(?:prices|levels)|"
    r"likely|probably|expect\w*|poised|set\s+to|bound\s+to|due\s+(?:for|to)|ready\s+to|coming|(?<!\bgo\s)(?<!goes\s)(?<!going\s)(?<!went\s)(?<!gone\s)ahead|incoming|soon|"
    r"is\s+in|(?:is|are|'s|looks?|seems?)\s+(?:\w+\s+)?(?:heading|turning|forming|building|getting|starting|breaking|bottoming|"
    r"topping|recovering|rebounding|primed|coiling|gearing)|"
    r"(?:is|are|'s)\s+(?:a|the)\s+(?:\w+\s+)?(?:buy|sell|hold|gift|friend|way)|regardless|"
    r"(?:feels?|seems?|looks?|sounds?)\s+(?:about\s+|just\s+)?(?:right|good|fine|ok|okay|sensible)|"
    r"(?:feels?|seems?|looks?|sounds?|is|'s)\s+(?:like\s+)?(?:a\s+|an\s+)?(?:\w+\s+)?(?:fair|fine|reasonable|sensible|sound|acceptable|decent|okay|ok)\b|"
    r"middle\s+ground|compromise|"
    r"(?:usually|often|generally|typically|historically|mostly|almost\s+always|always|rarely|seldom)\s+(?:been\s+|be\s+|is\s+|was\s+|proves?\s+|turns?\s+out\s+)?"
    r"(?:an?\s+)?(?:\w+\s+)?(?:mistake|error|costly|wrong|losing|loser|winner|win|works?|worked|right|correct|trap)|let's|why\s+not|how\s+about|what\s+about|guarantee\w*|risk[- ]?free|realistic|"
    r"profitable|winning\s+(?:pattern|strategy|move|play|formula)|undervalued|overvalued|cheap|expensive|oversold|overbought|"
    r"bargain|steal|bullish|bearish|room\s+to\s+(?:run|grow)|(?:has|have|with)\s+(?:\w+\s+)?(?:upside|downside|potential|legs)|"
    r"(?:good|great|strong|perfect)\s+(?:position|spot|place)\s+to|worked|paid\s+off|was\s+(?:right|correct|a\s+mistake)|"
    r"(?:is|was)\s+to\s+(?:buy|sell|short|hold|add|enter|exit|trim|take|load|go|get|re-?enter|scale))\b|'(?:d|ll)\b|\?\s*$)",
    _I)
# an evaluation: "…, which was the smart move"
_EVALUATION = re.compile(r"\b(?:(?:decent|excellent|poor|terrible|awful|solid|nice|fair|well-timed|mistimed|lucky|sharp|"
                         r"great|good|bad|weak|strong)\s+(?:entry|exit|trade|price|buy|sale|pick|choice|timing|level|fill|call)|better|best|ideal|smart(?:er|est)?|wise[r]?|prudent|sensible|reasonable|textbook|safe(?:r|st)?|"
                         r"good\s+(?:idea|call|move)|great|worth|no[- ]brainer|right\s+(?:move|call|choice)|the\s+(?:move|play|call|"
                         r"choice|way\s+to\s+go)|pays?\s+off|paid\s+off)\b", _I)
# present and future deixis: fine in a description of the past ("You opened 7 positions today"), not elsewhere
_DEIXIS = re.compile(r"\b(?:now|here|today|this\s+(?:week|month|year|quarter)|right\s+now|for\s+now|again|"
                     r"to\s+(?:buy|sell|short|add|enter|exit|trim|load|re-?enter|hold|take\s+profits?|get\s+(?:in|out)))\b", _I)
# a clause that continues the previous one: a fragment opening on a preposition or a figure
_CONTINUATION = re.compile(r"^(?:(?!ideally|preferably|hopefully|probably|likely|only)\w+ly\s+)?(?:including|such\s+as|especially|"
                           r"notably|at|with|in|on|under|over|near|from|of|into|by|for|inside|outside|above|below|up|down|"
                           r"within|one|around|about|[+-]?\d[\d.,]*|just|only|across|against|than|as|past|while|to|is|was|are|were|"
                           r"has|had|which|who|where|(?:all|both|each|none|most|many|several|two|three)\s+(?:of\s+them\s+)?(?:on|in|at|from|after|within|"
                           r"before|during|with)|mostly|mainly|largely|partly|roughly|nearly|almost|well|far|much|"
                           r"(?:\w+ly\s+)?(?:\w+er|more|less)\s+than|(?:the|its|their|each|one|all|most|some|both)\b[^,]{0,40}?\bbeing)\b|^(?:a|an)\s+[+-]?\d|^(?:the|your|its|their)\s+(?:\w+est|first|last|only|second|third|most\s+\w+|least\s+\w+)\s+(?:[\w-]+\s+){0,1}(?:trade|entry|exit|buy|sale|sell|loss|win|winner|loser|day|one|position|order)s?\b(?:\s+(?:of|in|on|this|that|so)\b[^,]{0,30})?$|^(?:" + _ASSET_NAMES + r")\b(?!\s+(?:is|are|was|were|will|would|could|should|looks?|seems?|has|have|had|might|may|can|tends?)\b)|^(?:a|an|the|some|your|his|her|its|their|two|three|four|five|six|seven|eight|nine|ten|\d+)\s+\S+(?:\s+\S+)?$|^\S+$", _I)

# ---- 5. the allowed forms ----------------------------------------------------------------------------------

_SUBJECT = (r"(?:proc(?:\s+[\w'/()-]+){0,3}?|(?:these|those)(?:\s+[\w'-]+){0,3}?|you|your(?:\s+[\w'/()%$.,:+-]+){0,6}?|this(?:\s+[\w'-]+){0,2}?|that(?:\s+[\w'-]+){0,2}?|the(?:\s+[\w'/()%$.,:-]+){1,5}?|it|they|"
            r"its(?:\s+[\w-]+){1,3}?|(?:most|many|some|all|none|each|one|two|three|four|five|six|seven|eight|nine|ten|eleven|"
            r"twelve|half|\d[\d.,]*%?)(?:\s+[\w'-]+){0,7}?|(?:hold|holding|realised|realized|average|money|fees?)(?:\s+[\w'/-]+){0,3}?|"
            r"rsi(?:\(14\))?|price|prices|after\s+the\s+streak\s+ended|\w+ing(?:\s+[\w'-]+){0,4}?)")
_PAST = (r"(?:[\w-]+ed|was|were|had|did|sold|bought|held|took|came|went|got|made|kept|fell|rose|risen|sat|ran|left|paid|lost|won|ate|"
         r"spent|felt|saw|broke|began|grew|hit|set|put|cut|stood|met|led|wrote|thought|told|gave|chose|knew|drew|"
         r"stayed|fired|ended|crept|slid|sank|shrank|swung|stuck|bled|flew|drove|woke|shot|fought|ate|took|showed|traded|"
         r"followed|matched|respected|reached|added|said|told|read|heard|caught|brought|found|sent|built|dealt|slept|became|withdrew|threw|"
         r"rode|spoke|froze|forgot|struck|spun|shook|hid|quit|split|spread|shut|cost|hurt|"
         r"has\s+\w+ed|have\s+\w+ed|'ve\s+\w+ed|has\s+been|have\s+been|'ve\s+been|had\s+been|(?:was|were|did|had)n'?t)")
_PAST_FORM = re.compile(r"^(?:(?:" + _SUBJECT + r")\s+(?:\w+ly\s+|also\s+|only\s+|just\s+|all\s+|both\s+|still\s+)?" + _PAST + r"|"
                        r"[\w'%()/-]+(?:\s+[\w'%()/-]+){0,4}?\s+(?:was|were|had)|(?:you|we|they)'ve\s+(?:\w+ly\s+|already\s+|just\s+|now\s+)?(?:\w+ed|been|\w+en))\b", _I)
# a participle that states the result of the past clause before it: "…, bringing the week to −$540", "…, locking in $96"
_RESULT_PARTICIPLE = re.compile(r"^(?:bringing|taking|leaving|locking\s+in|totall?ing|closing|making|putting|ending|giving|pushing|"
                                r"pulling|adding\s+up\s+to|lifting|turning|booking|banking|realis(?:ing)|realiz(?:ing)|finishing|netting|"
                                r"costing|losing|gaining|wiping\s+out|erasing|for\s+a\s+(?:total|net|loss|gain|profit))\b", _I)
# why a label fired, said of the tag: "The disposition-effect tag here comes from holding this loser …"
_TAG_REASON = re.compile(r"^PROC\s+(?:(?:comes|came|fired|rests|rested)\s+(?:from|on|because)|(?:is|was)\s+based\s+on)\b")
# a reflective question about what happened or how it felt ("How did you decide on the size of this position?"),
# not a rhetorical one ("Shouldn't you take profit?", "Why not add?", "How about selling a third?")
_QUESTION = re.compile(r"^\W*(?:how|what|why|when|which|where|did|do|does|were|was|have|had|are|is)\b"
                       r"(?!\s+(?:about|not|if)\b)(?!n't)(?![^?]*\b(?:should|could|would|might|may|must|'d|better|best|"
                       r"time\s+to|worth|smart|wise|right)\b)(?=[^?]*\b(?:did|was|were|had|felt|feel|feeling|made|happened|"
                       r"decided?|notic\w+|think|thinking|expected|waited)\b)[^?]*\?\s*$", _I)
# a fact about the user's own record, plan or rules, in the present
_OWN_FORM = re.compile(
    r"^(?:proc(?:\s+[\w'/()-]+){0,3}?|your(?:\s+[\w'/()-]+){0,6}?|you(?:r)?|"
    r"this\s+(?:trade|entry|exit|sale|position|buy|label|check|reflection|week|setup|plan|intent)"
    r"(?:'s)?(?:\s+[\w'-]+){0,2}?|the\s+(?:trade|entry|exit|sale|position|amount|label|gate|engine|confidence|intent|"
    r"conditions?|buy|sell|purchase|disposition|move\s+over\s+the\s+last|last\s+closed\s+candles|level\s+of\s+activity|average|daily|spike|"
    r"drawdown)(?:'s)?(?:\s+[\w'/()-]+){0,4}?|(?:money|fees?)(?:\s+[\w'-]+){0,3}?|realised\s+p/l|realized\s+p/l|"
    r"(?:rsi|%b)(?:\(14\))?)\s+"
    r"(?:is|are|was|were|sits|sit|has|have|came|comes|reached|puts|avoids|asks|says|shows|names|means|held|holds|"
    r"describes?|looks?\s+like|do\s+not\s+show|does\s+not\s+state|traded|trade|do\s+not|cannot)\b", _I)
_PSYCH = re.compile(
    r"\b(?:fomo|fear\w*|greed\w*|urge|emotion\w*|feelings?|pressure|panic\w*|revenge|pattern\w*|bias\w*|disposition|luck\w*|"
    r"habit\w*|human|natural|normal|common|classic|tempt\w*|impuls\w+|nerves|stress\w*|calm|anxi\w+|bites|bored\w*|relief|regret|"
    r"hope\w*|excite\w*|instinct\w*|mistake)\b", _I)
_DISCLAIMER = re.compile(
    r"\b(?:nobody|no\s+one|we|you|i)\s+(?:can|cannot|can'?t|could|will|is\s+able\s+to)\s*(?:not\s+)?(?:reliably\s+)?"
    r"(?:know|predict|tell|say|forecast|see)\b|\b(?:outside|beyond)\s+your\s+control\b|\bsays\s+nothing\b|\bnothing\s+here\s+says\b|"
    r"\bnever\s+uses\b|\bnot\s+about\s+the\s+market\b|\bnobody\s+can\s+predict\b", _I)
# a trading action opening a clause: an imperative or a gerund subject making a claim
_TRADE_VERB_START = re.compile(
    r"^(?:buy|sell|short|hold|hodl|enter|exit|re-?enter|rebuy|add|trim|lighten|close|take|bank|lock|cut|scale|average|dca|"
    r"accumulate|load|dump|pile|ape|get|jump|flip|rotate|swap|switch|hedge|cover|fade|ladder|stack|reinvest|rebalance|allocate|"
    r"invest|scoop|grab|pick|let|ride|size|double|triple|increase|raise|reduce|halve|lower|boost|bump|widen|tighten|trail|"
    r"move|set|put|place|go|be|stay|keep|aim|target|risk|spread|time|own|park|avoid|stick|focus|chase|wait|sit|use)\b", _I)

# a maxim about trading behaviour: a generic claim that some way of trading works ("Selling into strength tends to
# produce better results", "Letting winners run is what separates consistent traders from the rest")
_MAXIM = re.compile(
    r"\b(?:tends?\s+to\s+(?:produce|give|yield|work|lead|deliver|pay|bring|beat|outperform|do\s+better|end\s+(?:well|better)|"
    r"reward|win|make)|(?:what|how)\s+(?:separates|distinguishes|sets\s+apart|makes|marks)|separates?\s+(?:\w+\s+)?(?:traders|winners|"
    r"pros|professionals|amateurs)|(?:better|stronger|superior|best|more\s+consistent)\s+(?:results|outcomes|returns|performance)|"
    r"the\s+(?:key|secret)\s+to|something\s+to\s+aim\s+for|(?:is|are|has|have)\s+(?:often\s+|usually\s+|generally\s+|"
    r"historically\s+|always\s+)?(?:been\s+)?rewarded|rewards?\s+(?:patience|discipline|the\s+patient|those\s+who|conviction)|"
    r"(?:often|usually|typically|generally|frequently|tends?\s+to)\s+(?:comes?\s+(?:before|ahead\s+of)|precedes?|signals?|"
    r"marks?\s+(?:the|a)\s+(?:top|bottom|turn)|sets?\s+up)|pays?\s+off|(?:pros|professionals|good\s+traders|successful\s+traders|consistent\s+traders)\s+(?:do|tend|always|usually)|"
    r"(?:what|how)\s+(?:\w+\s+){0,2}?(?:traders|pros|professionals|investors|winners)\s+(?:do|trade|work|operate|survive|win|think)|"
    r"(?:pros|professionals|smart\s+money|experienced\s+traders)\s+(?:\w+\s+)?(?:buy|sell|do|use|take|trim|add|hold))\b", _I)
# a named market is allowed only in a description of what already happened, and never beside a comparison or a
# judgement ("Your BTC trades were calmer than your altcoin trades" compares markets)
_MARKET_COMPARISON = re.compile(
    r"\b(?:(?:than|versus|vs\.?|compared\s+(?:with|to)|over|instead\s+of|rather\s+than)\s+(?:\w+\s+){0,3}?(?:" + _ASSET_NAMES +
    r"|coins?|tokens?|alts|altcoins?|altcoin|majors|stocks?|memecoins?|large[- ]caps?)|safe\w*|risk(?:y|ier|iest)|stable|reliable|"
    r"blue[- ]chip)\b", _I)
_PAST_WORD = re.compile(r"\b" + _PAST + r"\b", _I)
_OWN_TRADE = re.compile(r"\b(?:you|your|bought|sold|buys?|sales?|entry|exit|trades?|positions?|purchase|loss(?:es)?|wins?|orders?)\b", _I)

# an appositive between a subject and its past verb: "Your largest loss, $320 on AVAX, came right after …"
_APPOSITIVE = re.compile(r"^((?:your|the|this|that|these|those)\b(?:[^,]|,(?=\d)){0,40}),\s*((?:[^,]|,(?=\d)){1,40}),\s*(?=(?:also\s+)?" + _PAST + r"\b)", _I)

_SENTENCE = re.compile(r"(?<=[.!?])\s+")
# a trigger that takes a trade on market structure for granted: "when buying the dip", "if you add on strength"
_TRIGGER_TRADE = re.compile(
    r"\b(?:buy(?:ing)?|sell(?:ing)?|short(?:ing)?|add(?:ing)?|enter(?:ing)?|exit(?:ing)?|trim(?:ming)?|re-?enter(?:ing)?)\b"
    r"(?:\s+\w+){0,3}?\s+(?:dips?|rall(?:y|ies)|bounces?|breakouts?|support|resistance|bottoms?|tops?|retests?|pullbacks?|"
    r"strength|weakness|levels?|highs|lows|pumps?|spikes?|red\s+days?|green\s+days?)\b", _I)

# ---- kinds: which policy a finding breaks -------------------------------------------------------------------

_PROMISE = re.compile(
    r"\b(?:guarantee\w*|risk[- ]?free|no[- ]risk|can'?t\s+lose|cannot\s+lose|never\s+lose|won'?t\s+lose|sure\s+(?:thing|profit|win|bet)|"
    r"easy\s+money|free\s+money|make\s+you\s+(?:rich|money)|beat\s+the\s+market|double\s+your\s+money|"
    r"(?:will|'ll|can|could|going\s+to)\s+(?:\w+\s+){0,2}?(?:make|get|win|earn|recover|pay)\s+(?:\w+\s+){0,3}?(?:back|loss|losses)|\d+(?:\.\d+)?\s?%\s+(?:a|per|every|each)\s+"
    r"(?:day|week|month|year)|\d+(?:\.\d+)?\s?%\s+(?:daily|weekly|monthly|yearly)|(?:returns?|gains?)\s+of\s+\d+|to\s+the\s+moon|"
    r"be\s+up\s+again|(?:will|would|should|could|can|'ll|going\s+to|to|help\s+you)\s+(?:\w+\s+){0,2}?(?:grow|compound|double|triple|build|boost|"
    r"increase|multiply)\s+(?:your\s+|the\s+|an?\s+)?(?:account|portfolio|capital|stack|balance|money|savings|wealth|returns?|profits?|gains?)|"
    r"(?:a\s+few|several|some|one|two|three|four|five|ten|\d+(?:\.\d+)?)\s*(?:%|percent|per\s+cent)\s+(?:a|per|every|each)\s+(?:day|week|month|year)|"
    r"(?:steady|reliable|consistent|regular|passive)\s+(?:returns?|gains?|profits?|income|growth)|"
    r"(?:will|'ll|would|should|can|could|going\s+to)\s+(?:\w+\s+){0,2}?(?:be|become|turn|stay|get)\s+(?:\w+\s+)?(?:profitable|rich|"
    r"wealthy|in\s+profit|consistently\s+green)|compound\w*\s+(?:into|over\s+time)|"
    r"turn\w*\s+(?:a\s+|your\s+)?(?:small\s+|tiny\s+|modest\s+)?(?:account|portfolio|stack|stake|[$€£]?\d[\d,.]*\s*k?)\s+into)\b", _I)
_SIZING = re.compile(r"\b(?:size\w*|all[- ]in|allocat\w+|exposure|leverage|stake|heavier|lighter|full\s+size|(?:of\s+)?your\s+"
                     r"(?:portfolio|account|savings|equity|capital|stack|money|cash)|double\w*|half|a\s+third|a\s+quarter|"
                     r"position\s+can\s+be)\b", _I)
_FORECAST = re.compile(r"\b(?:will|won'?t|going\s+to|gonna|about\s+to|likely|probably|expect\w*|poised|set\s+to|bound\s+to|due|"
                       r"coming|(?<!\bgo\s)(?<!goes\s)(?<!going\s)(?<!went\s)(?<!gone\s)ahead|incoming|soon|is\s+in|bottoming|topping|heading|turning|forming|primed|ready\s+to|"
                       r"history\s+suggests|could|might|should|can\s+only)\b", _I)
_ASSET_CLAIM = re.compile(r"\b(?:coins?|tokens?|alts|altcoins?|memecoins?|stablecoins?|stables|majors|large[- ]caps?|leaders|"
                          r"laggards?|index|stocks?|cash|listings?|safe\w*|undervalued|overvalued|bargain|steal|cheap|"
                          r"bullish|bearish|staking|bigger\s+names|top\s+\w+\s+coins)\b", _I)


def _kind(clause: str, sentence: str, number: re.Match | None) -> str:
    if _PROMISE.search(sentence):
        return "promise"
    if number and _SIZING.search(clause) and "%" in number.group(0):
        return "position sizing"
    if number and not re.search(r"\d", number.group(0)):
        return "position sizing"  # a half, a third, a quarter
    if number and not re.search(r"\d\s?%|percent", number.group(0), _I) or (number and re.search(
            r"\b(?:stop|target|take[- ]profit|at|around|near|below|above|under|hits?|reach\w*)\b", clause, _I)):
        return "price level"
    if _SIZING.search(clause) and re.search(r"\b(?:size\s+(?:up|down)|all[- ]in|allocat\w+|exposure|leverage|"
                                             r"heavier|lighter|full\s+size|position|stake|portfolio|savings)\b", clause, _I):
        return "position sizing"
    if _FORECAST.search(sentence) and not re.match(r"^\W*(?:you|i|we)\b", clause, _I) and not _TRADE_VERB_START.match(clause):
        return "market forecast"
    if _ASSET_CLAIM.search(clause):
        return "asset recommendation"
    return "instruction"


def _heads(sentence: str) -> list[tuple[str, str]]:
    """The sentence's clauses as (head, trigger): the trigger is the part from a subordinating word on
    ("when the price drops 5%", "after a loss"), which conditions the head rather than saying what to do."""
    parts: list[tuple[str, str]] = []
    pending = ""
    for raw in _CLAUSE_SPLIT.split(sentence):
        clause = (raw or "").strip(" .!?\"'()")
        if not clause:
            continue
        clause = _LEAD.sub("", clause).strip()
        trigger = _TRIGGER.search(clause)
        if trigger and trigger.start() == 0:
            pending = (pending + " " + clause).strip()  # a leading subordinate clause: belongs to the next head
            continue
        head, tail = (clause[:trigger.start()].strip(), clause[trigger.start():]) if trigger else (clause, "")
        parts.append((head, (pending + " " + tail).strip()))
        pending = ""
    if pending:
        parts.append(("", pending))
    return parts


def _form(head: str, trigger: str) -> str | None:
    """The allowed form a clause head is in, or None: "past", "own" (a present fact about the trader's own
    record or rules), "psych" (a remark about feelings and patterns), "disclaimer"."""
    if _TRADE_VERB_START.match(head):
        return None
    if _PAST_FORM.match(head) or _TAG_REASON.match(head):
        return "past"
    if _OWN_FORM.match(head):
        return "own"
    if _PSYCH.search(head + " " + trigger):
        return "psych"
    if _DISCLAIMER.search(head + " " + trigger):
        return "disclaimer"
    return None


def _mask(match: re.Match) -> str:
    """A process phrase becomes PROC; a market named inside it stays ("your last DOGE position")."""
    return " ".join(["", "PROC", *(m.group(0) for m in _NAMED_MARKET.finditer(match.group(0))), ""])


def _sentence_findings(sentence: str) -> list[str]:
    found: list[str] = []
    named = _NAMED_MARKET.search(sentence)
    promise = _PROMISE.search(sentence)
    if promise:
        found.append(f"promise: {promise.group(0)}")
    masked = _PROCESS.sub(_mask, _QUOTED_QUESTION.sub(" PROC ", sentence) if "?" in sentence[:-1] else sentence)
    masked = _APPOSITIVE.sub(r"\1 \2 ", re.sub(r"\bin\s+and\s+out\b", "in-and-out", masked, flags=_I))
    disclaimer = bool(_DISCLAIMER.search(masked))
    if disclaimer:
        masked = _DISCLAIMER.sub(" PROC ", masked)  # its own "can" is not a recommendation
    question = bool(_QUESTION.match(masked))
    if question:
        masked = masked.rstrip(" ?")
    heads = _heads(masked)
    psych = bool(_PSYCH.search(masked)) and not any(_TRADE_VERB_START.match(h) for h, _ in heads)
    maxim = _MAXIM.search(masked)
    # a named market passes only inside a past description of a trade, in a sentence that compares nothing
    market_ok = bool(named) and not _MARKET_COMPARISON.search(masked) and bool(_OWN_TRADE.search(masked))
    market_past = False
    previous_form: str | None = None
    previous_content = False
    previous_head = ""
    for index, (head, trigger) in enumerate(heads):
        content = _TC.search(head) or _NUMBER.search(head)
        marker = _MARKER.search(head)
        continuing = bool(_CONTINUATION.match(head)) or not head
        form = _form(head, trigger) if head else None
        if form is None and index == 0 and len(heads) > 1 and re.match(r"^(?:PROC|at|on|in|with|by|for|from|over|across)\b", head, _I) \
                and not marker and _form(*heads[1]) == "past":
            form = "past"  # a leading adjunct of a past description: "After the loss on XRP, you opened …"
        if form is None and question:
            form = "question"
        if form is None and previous_form == "past" and re.match(_PAST + r"\b", head, _I):
            form = "past"  # "You bought and sold …": the same subject, still in the past
        if form is None and head and not _TRADE_VERB_START.match(head) and not maxim and (
                (psych and re.match(r"^\w+ing\b", head)) or (disclaimer and not _MARKER.search(head))):
            form = "psych" if psych else "disclaimer"  # "Selling winners early and keeping losers is a common pattern"

        if form is None and not marker and _RESULT_PARTICIPLE.match(head) and (previous_form == "past" or (
                previous_form == "own" and re.search(r"\b(?:was|were|had)\b", previous_head))):
            form = "past"
        if continuing and form is None:
            form = previous_form
        if maxim and form and re.match(r"^\w+ing\b", head):
            form = None  # a gerund subject in a maxim: "Selling into strength tends to produce better results"
        if market_ok and (_NAMED_MARKET.search(head) or _NAMED_MARKET.search(trigger)):
            where = head if _NAMED_MARKET.search(head) else trigger
            if _MARKER.search(head) or _MARKER.search(trigger) or not (
                    form == "past" or (form == "question" and _PAST_WORD.search(where))
                    or _PAST_FORM.match(f"{head} {trigger}")):
                market_ok = False
            else:
                market_past = True
        if form not in (None, "past") and not marker:
            marker = _DEIXIS.search(head)
        if marker and continuing and previous_content and not content and _EVALUATION.search(head):
            # "…, which was the smart move": an evaluation of the clause before
            found.append(f"instruction: {marker.group(0).strip()}")
        if content and (marker or form is None):
            number = _NUMBER.search(head) or _NUMBER.search(trigger)
            found.append(f"{_kind(head + ' ' + trigger, masked, number)}: {head}")
        elif trigger and (_TC.search(trigger) or _NUMBER.search(trigger)) and (
                _TIMING.match(trigger) or _MARKER.search(trigger) or _TRIGGER_TRADE.search(trigger) or maxim):
            # "until / unless / instead of" with trading content times or replaces a trade; "when buying the
            # dip" takes the trade for granted
            found.append(f"instruction: {trigger}")
        if head and (not continuing or form):
            previous_form = form
        previous_content = bool(content) or (previous_content and continuing)
        previous_head = head
    if named and (found or not (market_ok and market_past)):  # a market beside advice is named in advice
        found.insert(0, f"named market: {named.group(0)}")
    return found


def lint_text(text: str) -> list[str]:
    """Violations of the non-advisory policy (``[]`` = clean), each ``"<kind>: <matched text>"``, in order."""
    violations: list[str] = []
    for sentence in _SENTENCE.split((text or "").strip()):
        if sentence:
            violations.extend(_sentence_findings(sentence.replace("’", "'")))
    return list(dict.fromkeys(violations))
