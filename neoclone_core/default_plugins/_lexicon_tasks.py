"""The words the default task analyser looks for beyond code and maths: images, tools,
live information, writing, summaries, data, translation and streaming, in English,
French, Spanish, German, Portuguese and Chinese (`_lexicon.py` holds code and reasoning,
and the `terms()` and `near()` helpers both use).
"""

# ruff: noqa: RUF001
from __future__ import annotations

import re

from neoclone_core.default_plugins._lexicon import (
    FOLDED,
    PROGRAMMING_LANGUAGE_NAMES,
    near,
    terms,
)

# -- vision ----------------------------------------------------------------------------------

IMAGE_NOUN = (
    r"images?|photos?|photographs?|pictures?|pics?|screenshots?|screen shots?|scans?"
    r"|x-rays?|handwriting|charts?|graphs?|diagrams?|drawings?|memes?|floor ?plans?"
    r"|blueprints?|sketch(?:es)?|infographics?|selfies?|logos?|thumbnails?"
    r"|captures? d'écran|capturas? de pantalla|capturas? de tela|imagen|imágenes|fotos?"
    r"|bild|bilder|bildschirmfoto|imagem|imagens"
)
# "this photo" and "these two product photos" point at an image; "the" only when adjacent
# ("the screenshot"), since "the best pictures" does not.
DEICTIC = (
    r"this|these|that|attached|uploaded|above|below|following|here'?s an?|here is an?"
    r"|here are"
    r"|cette|ces|cet|ce|esta|este|estas|estos|diesem|dieser|diese|dieses"
    r"|angehängte[nms]?|beigefügte[nms]?|nesta|neste"
)
ARTICLE = r"the|l'|la|le|el|das|den|dem|o"
ATTACHED = (
    r"attached|attachment|uploaded|upload|ci-jointe?s?|jointe?s?|adjunta|adjunto|anexa|anexo"
    r"|angehängt\w*|beigefügt\w*"
)
_LOOK_AT = r"look at|see|check out|rate|review|what do you think of"
IMAGE_REFERENCE = re.compile(
    rf"\b(?:{DEICTIC})\s*(?:[\w-]+\s+){{0,2}}?(?:{IMAGE_NOUN})\b"
    rf"|\b(?:{ARTICLE})\s*(?:{IMAGE_NOUN})\b"
    rf"|{near(ATTACHED, IMAGE_NOUN, gap=6)}|{near(IMAGE_NOUN, ATTACHED, gap=4)}"
    r"|\[(?:[\w\s-]*(?:image|photo|picture|screenshot|chart)[\w\s.-]*|[\w-]+\.(?:png|jpe?g|gif|webp))\]"
    r"|https?://\S+\.(?:png|jpe?g|gif|webp|bmp)\b|data:image/"
    r"|\b(?:in|en|na|no|auf|im|on) (?:the |la |a |dem )?(?:photo|picture|image|foto|bild"
    r"|imagem|imagen|screenshot)\b"
    rf"|{near(_LOOK_AT, rf'(?:my|our) (?:{IMAGE_NOUN})', gap=1)}"
    r"|(?:这张|这幅|图中|图片中|照片中|截图)",
    FOLDED,
)
# An image that is not being looked at: to be generated, or a container image.
NOT_SEEN_IMAGE = terms(
    rf"{near(r'generate|create|draw|make|design|paint|render|produce', IMAGE_NOUN, gap=3)}"
    r"|docker images?|container images?|image processing|disk image|iso image"
)
CHART = terms(
    r"(?:this|that|these|my) (?:chart|graph|plot)s?|the (?:chart|graph)s?|\[[\w-]*chart[\w.-]*\]"
    r"|(?:ce|cette|este|esta|dieses|diesem|este) (?:graphique|gráfico|diagramm)",
    r"这张图表|图表",
)

# -- tools -----------------------------------------------------------------------------------

TOOL_ACTIONS = terms(
    r"search (?:the )?(?:web|internet|online)|search online|google (?:it|this|for|the)"
    r"|look (?:it |this )?up|browse(?: to)?|open https?://\S+|open (?:the )?(?:link|url|page)"
    r"|visit https?://|fetch (?:the )?(?:url|page|https?://)|go to https?://"
    r"|check (?:the )?(?:current|latest|live|today'?s?)"
    r"|send (?:an? )?(?:email|e-mail|message|text|sms|slack)|email (?:him|her|them|my|the)"
    r"|book (?:a|an|me a) (?:table|flight|hotel|room|ticket|appointment)"
    r"|schedule (?:a|the) (?:meeting|call)"
    r"|(?:create|open|file) (?:a|an) (?:(?:jira|github|gitlab|linear) )?(?:ticket|issue|bug report)"
    r"|create (?:a|an) (?:calendar )?event"
    r"|add (?:an? )?(?:event|reminder) to|set (?:a|an) (?:reminder|alarm|timer)|remind me"
    r"|find (?:me )?(?:the |a |an )?(?:cheapest |best |next |nearest )?(?:flights?|hotels?"
    r"|tickets?|trains?|deals?|restaurants?) (?:from|to|in|near|for)"
    r"|post (?:a |an |this )?(?:message|tweet|update|comment)|email me|text me"
    r"|send me (?:an? )?(?:email|message|text)|send (?:it|this|that) (?:to|by)"
    r"|check (?:my )?(?:inbox|emails?|calendar|messages|notifications)"
    r"|read my (?:emails?|messages|inbox)|order me|order (?:a|an|some) [\w -]+ from|buy me"
    r"|purchase (?:a|an|the)|rappelle-moi|recuérdame|erinnere mich|lembre-me"
    r"|run (?:this|the|my) (?:code|script|command|query)|execute (?:this|the) (?:code|script)"
    r"|cherche (?:sur|dans) (?:le web|internet|google)|recherche (?:sur le web|en ligne)"
    r"|envoie (?:un )?(?:mail|e-mail|message)|busca (?:en|por) (?:internet|la web|google)"
    r"|buscar en internet|envía (?:un )?(?:correo|mensaje)"
    r"|such(?:e)? (?:im|in|nach) (?:internet|web|netz)|sende (?:eine )?(?:e-mail|mail|nachricht)"
    r"|pesquise (?:na|no) (?:web|internet|google)|procure na internet|busque na internet"
    r"|envie (?:um )?(?:e-mail|email|mensagem)",
    r"网上搜索|上网搜|搜索一下|联网|发邮件|发送邮件",
)
# Tool vocabulary: ambiguous when the request is to write code (the code then uses the tools).
TOOL_WORDS = terms(
    r"(?:call|invoke) (?:the )?(?:[\w-]+ )?(?:tools?|functions?)"
    r"|(?:use|using) (?:the )?(?:[\w-]+ )?tools?"
    r"|(?:have|has|with) access to (?:the |these |following |the following )*(?:tools|functions)"
    r"|function[- ]calling|tool[- ](?:use|calling|calls)|autonomous agent|as an? (?:ai )?agent"
    r"|agentic|you are an? (?:[\w-]+ )?agent|(?:with|have|has) an? [\w-]+ tool"
    r"|(?:^|(?<=[.!?]\s))(?:please )?(?:use|call|query) (?:the |our |my )?[\w-]+"
    r" (?:api|database|db)\b"
    r"|you can (?:call|use) \w+\(|you have (?:these|the following) (?:tools|functions)"
    r"|available tools|tools available"
)
_CURRENCY = r"usd|eur|gbp|jpy|cny|chf|cad|aud|btc|eth"
# Questions whose answer is live whatever their wording.
INHERENTLY_LIVE = terms(
    r"weather|forecast|météo|quel temps|qué tiempo (?:hace|hará)|clima|pronóstico|wetter"
    r"|previsão do tempo|what(?:'s| is) the score|exchange rate|taux de change|tipo de cambio"
    r"|wechselkurs|taxa de câmbio"
    rf"|(?:{_CURRENCY}) (?:to|/|in) (?:{_CURRENCY})",
    r"天气",
)
LIVE_WHEN = terms(
    r"right now|today'?s?|tonight|currently|at the moment|this (?:week|morning)|last night"
    r"|yesterday|latest|current|live|breaking|gerade|en ce moment|ahora mismo|agora mesmo"
    r"|anoche|hier soir|gestern|hier|ayer|ontem|this week|cette semaine|esta semana"
    r"|diese woche|essa semana"
    r"|aujourd'hui|demain|maintenant|actuel\w*|dernières?|hoy|mañana|ahora|actual|últimas?"
    r"|heute|morgen|jetzt|aktuell\w*|neueste\w*|hoje|amanhã|agora|atual",
    r"今天|明天|现在|最新|目前|昨晚|昨天|本周",
)
LIVE_WHAT = terms(
    r"news|prices?|stocks?|shares|score|scores|results?|won|winner|exchange rate|version"
    r"|release|released|announce\w*|launch\w*|rates?|traffic|opening hours|population|open"
    r"|trending|game|match|ganó|gagné"
    r"|gewonnen|ganhou|partido|spiel|bitcoin|btc|ethereum|crypto\w*|nouvelles|actualités"
    r"|prix|cours|coûte|noticias|precios?|cuesta|nachrichten|preis|kurs|kostet|ergebnis"
    r"|notícias|preço|custa|jogo",
    r"新闻|价格|股价|比分",
)

# -- categories ------------------------------------------------------------------------------

CREATIVE = terms(
    r"stor(?:y|ies)(?! points)|poems?|poetry|haikus?|limericks?|sonnets?|villanelles?"
    r"|ballads?|lyrics|songs?|rap|screenplay|fairy ?tales?|fables?|jokes?|puns?|slogans?"
    r"|taglines?|jingles?|wedding toast|a toast|toast for|wedding speech|best man speech"
    r"|captions?|product descriptions?|ad copy|marketing copy|fan ?fiction|short fiction"
    r"|in the style of|(?:write|continue) (?:a|the|my|this) (?:novel|chapter)"
    r"|script for (?:a|an|the|my) (?:video|film|movie|play|commercial|podcast|youtube\w*)"
    r"|poème|poésie|haïku|chanson|paroles|une histoire|un conte|conte de fées|une blague"
    r"|poema|poesía|un cuento|una historia|canción|un chiste|eslogan|una fábula"
    r"|gedicht|eine geschichte|ein märchen|märchen|liedtext|songtext|ein lied|einen witz|witz"
    r"|werbetext|werbeslogan|kurzgeschichte|poesia|uma história|um conto|canção|uma piada"
    r"|birthday (?:message|card|poem|wish(?:es)?)|greeting card|rhymes?|dialogue between"
    r"|write (?:a )?dialogue|(?:catchy|punchy|snappy|clever) (?:headline|title|name)s?"
    r"|headlines? for (?:an? |my |our )?(?:ad|advert|campaign)|make up an?"
    r"|funny (?:message|poem|note)|monologues?|soliloquy"
    r"|(?:come up with|write|create|make up|invent) (?:\w+ ){0,2}(?:riddles|quiz questions)"
    r"|piada|\w+geschichten?|erzähl(?:e)? mir|raconte-moi|cuéntame|conta-me|me conte",
    r"(?:写|作|编|讲)[^。！？\n]{0,10}(?:诗|故事|小说|歌词|笑话|剧本)|笑话",
)
# "user story" and "story points" are project management, not fiction.
NOT_CREATIVE = terms(
    r"user stor(?:y|ies)|story points|(?:top|news|latest|front[- ]page) (?:\d+ )?stor(?:y|ies)"
)
SUMMARY = terms(
    r"summar(?:y|ies|i[sz]e[ds]?|i[sz]ing)|tl;?dr|key (?:points|takeaways|ideas)"
    r"|main (?:points|ideas|takeaways)|takeaways|recap|condense|an abstract(?! class| method)"
    r"|abstract of|(?:its|the) (?:main |key )?(?:conclusions|findings)|sum (?:it |this |that )?up"
    r"|minutes of|write (?:up )?the minutes|meeting minutes|(?:quick |brief )?overview of"
    r"|(?:one|two|short)-paragraph abstract|gist|(?:make|keep) it (?:shorter|brief)|shorten"
    r"|cliff ?notes|literature review|executive summary|synopsis|boil (?:it|this) down"
    r"|synthèse|synthétise|points clés|resumen|síntesis|puntos clave|sintetiza"
    r"|zusammenfass\w*|fasse\b.{0,120}\bzusammen|fass\b.{0,120}\bzusammen|kernpunkte"
    r"|kurzfassung|principais pontos|pontos principais|sintetize",
    r"总结|摘要|概括|要点|归纳",
)
# "resume" is a CV in English and "summarise" in French, Spanish and Portuguese.
SUMMARY_ROMANCE = terms(r"résume[rz]?|résumé|resume|resumir|resuma|resumo|resumen")
DATA_TERMS = terms(
    r"csv|datasets?|data set|spreadsheets?|excel|pandas|dataframes?|statistic(?:s|al)"
    r"|trends?|rolling average|moving average|median|standard deviation|variance"
    r"|correlation|regression|p-value|significan(?:t|ce|tly)|a/b test\w*|conversion rates?"
    r"|churn|kpis?|survey (?:results|data|responses)|nps|net promoter|csat|retention"
    r"|mrr|dau|mau|weighted average|google sheets|vlookup|excel formula|pivot table"
    r"|histogram|outliers?|monthly (?:sales|revenue)"
    r"|tendance|statistiques?|tableur|tendencia|estadísticas?|hoja de cálculo"
    r"|statistik|umsatzzahlen|tendência|estatísticas?|planilha",
    r"趋势|统计|同比|环比",
)
ANALYSE = terms(
    r"analy[sz]e|analysis|interpret|analyse[rz]?|analiza|analizar|analysiere|analysieren"
    r"|analise|analisar",
    r"分析",
)
FIGURES = terms(
    r"sales|revenue|numbers|figures|metrics|results|chiffres|ventes|ventas|cifras|zahlen"
    r"|umsatz\w*|vendas|números|data|données|datos|daten|dados|visits|visitors|signups"
    r"|users|traffic|downloads|sessions|clicks|orders|per (?:day|week|month|year)|table"
    r"|growth",
    r"销售|数据",
)
# Three months (or quarters) with a figure each: "Jan 1,200 Feb 1,350 Mar 1,900".
SERIES = re.compile(
    r"(?:\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|q[1-4])\w*\.?\s*:?\s*"
    r"\d[\d.,%k]*\W+){2,}(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|q[1-4])",
    FOLDED,
)
# A figures word followed closely by three numbers: "visits per day: 310, 295, 402".
FIGURES_LISTED = re.compile(
    rf"(?:{FIGURES.pattern}).{{0,80}}?\d[\d.,%]*(?:\D{{1,20}}\d[\d.,%]*){{2,}}",
    FOLDED | re.DOTALL,
)
_QUERY = r"sql|query|requête|consulta|abfrage"
_AGGREGATION = (
    r"top \d+|total|sum|count|average|avg|group by|per \w+|compte|par client|por cliente"
    r"|somme|moyenne|cuenta|pro \w+|durchschnitt\w*|summe|anzahl|promedio|média|soma"
)
AGGREGATE_QUERY = terms(near(_QUERY, _AGGREGATION, gap=10))
TRANSLATE = terms(
    r"translate|translation|translating|traduis|traduire|traduction|traduce|traducir"
    r"|traducción|übersetze|übersetzen|übersetzung|traduza|traduzir|tradução"
    r"|how (?:do|would) you say|what(?:'s| is) the (?:\w+ )?word for",
    r"翻译|译成",
)

NATURAL_LANGUAGES = (
    r"english|french|spanish|german|portuguese|italian|japanese|chinese|mandarin|cantonese"
    r"|korean|russian|arabic|hindi|dutch|polish|turkish|swedish|norwegian|danish|finnish"
    r"|greek|hebrew|vietnamese|thai|indonesian|ukrainian|czech|romanian|hungarian"
    r"|anglais|français|espagnol|allemand|portugais|italien|inglés|francés|alemán|portugués"
    r"|englische|englisch|französisch|spanisch|deutsch|portugiesisch|inglês|francês"
    r"|espanhol|alemão"
)
FOREIGN_TARGET = terms(
    r"(?:in|into|to|en|ins|para o|para|auf) (?:formal |informal |idiomatic |plain )?"
    rf"(?!english\b)(?:{NATURAL_LANGUAGES})"
    rf"|(?:{NATURAL_LANGUAGES}) (?:tutor|teacher|lessons?|grammar|class)",
    r"英文|英语|中文|日语|法语|德语|西班牙语",
)
TRANSLATE_INTO = terms(
    rf"into (?:formal |informal |plain |simple )?(?:{NATURAL_LANGUAGES})"
    rf"|(?:what(?:'s| is)|say) ['\"“‘].{{1,60}}?['\"”’] in (?:{NATURAL_LANGUAGES})"
    rf"|what does ['\"“‘].{{1,60}}?['\"”’] mean in (?:{NATURAL_LANGUAGES})"
    rf"|(?:this|the following|a|an) (?:{NATURAL_LANGUAGES}) (?:sentence|phrase|word|expression"
    rf"|text|paragraph|sign|idiom)"
)
CODE_TARGET = terms(
    rf"(?:in|into|to) (?:idiomatic |modern )?(?:{PROGRAMMING_LANGUAGE_NAMES})\b(?!\w)"
)
STREAMING = terms(
    r"stream(?:ing)? (?:the |your )?(?:answer|response|reply|output|it|results?)"
    r"|(?:token|word) by (?:token|word)|as you go|appear live|test streaming"
    r"|streaming (?:response|answer|output)|streamed (?:answer|response)"
)
