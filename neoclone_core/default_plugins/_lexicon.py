"""The words the default task analyser looks for, in English, French, Spanish, German,
Portuguese and Chinese.

Non-ASCII punctuation (full-width marks, curly quotes, the multiplication sign) is
deliberate: people type it.

Kept apart from the rules that use them so that adding a language, or a word the rules
missed, is an edit to data. Each constant is one regular-expression alternation; `terms()`
compiles Latin-script words with word boundaries and Chinese ones without (Chinese has no
spaces, so a boundary would never match inside a sentence).
"""

# ruff: noqa: RUF001
from __future__ import annotations

import re


def terms(latin: str, cjk: str = "", *, flags: int = re.IGNORECASE) -> re.Pattern[str]:
    """One pattern: `latin` alternatives as whole words, `cjk` ones anywhere."""
    parts = [rf"\b(?:{latin})\b"] if latin else []
    if cjk:
        parts.append(f"(?:{cjk})")
    return re.compile("|".join(parts), flags)


def near(first: str, second: str, *, gap: int = 5) -> str:
    """An alternation matching `first`, then `second` at most `gap` words later."""
    return rf"\b(?:{first})\b\W+(?:[\w'’-]+\W+){{0,{gap}}}?(?:{second})\b"


# -- code -----------------------------------------------------------------------------------

# Verbs asking for something to be made or changed (imperatives and infinitives).
PRODUCE = (
    r"write|create|generate|implement|build|code|make|develop|fix|debug|refactor|optimi[sz]e"
    r"|convert|port|translate|rewrite|review|define|add|whip up|show me|give me|need|want"
    r"|put together|draft|produce|scaffold|set up|revisa|revisar|hazme|haz|crie"
    r"|écris|écrire|écrivez|crée|créer|génère|générer|implémente|corrige|corriger|développe"
    r"|donne-moi|fais|escribe|escribir|crea|crear|genera|generar|implementa|corrige|corregir"
    r"|haz|dame|schreibe|schreib|schreiben|erstelle|erstellen|generiere|implementiere"
    r"|korrigiere|programmiere|gib mir|escreva|escrever|crie|criar|gere|gerar|implemente"
    r"|corrija|corrigir|faça"
)
# What such a verb makes when the request is for code.
ARTEFACT = (
    r"code|script|function|method|program|query|regexp?|regular expression|one-liner"
    r"|snippet|app|endpoint|unit tests?|tests|test suite|dockerfile|makefile|migration"
    r"|cron (?:job|expression)|component|module|cli|command|algorithm|json schema|website"
    r"|bot|plugin|class|helper|utility|config|configuration|yaml|compose file|commands?"
    r"|latex|markdown table|html table|webpage|web page|html page|contact form"
    r"|fonction|programme|requête|classe|algorithme|méthode|expression régulière|appli"
    r"|código|función|programa|consulta|clase|algoritmo|método|expresión regular"
    r"|funktion|skript|programm|abfrage|klasse|algorithmus|methode"
    r"|função|classe|expressão regular|aplicativo"
)
# "write a Python agent", "build a React dashboard": an artefact in a named technology.
TECH_ARTEFACT = (
    r"(?:a|an|some|me a|me an) (?:\w+ )?(?:python|javascript|typescript|java|kotlin|swift"
    r"|rust|go|golang|c\+\+|c#|ruby|php|bash|shell|powershell|sql|react|vue|angular|django"
    r"|flask|fastapi|node|express|langchain|pandas|html) [\w-]+"
)
CJK_PRODUCE_ARTEFACT = (
    r"(?:写|编写|实现|生成|创建|修复)[^。！？\n]{0,12}(?:代码|函数|程序|脚本|算法|正则|查询|爬虫|网页"
    r"|接口|组件|插件|机器人)|(?:写|编写|实现)[^。！？\n]{0,6}(?:python|java|javascript|c\+\+|sql|go)"
)
# Artefacts that are code whoever asks and however.
CODE_ARTEFACTS = terms(
    r"regexp?|regular expression|one-liner|dockerfile|makefile|cron expression"
    r"|sql (?:query|statement|migration)|unit tests?|pytest|jest|github actions|json schema"
    r"|shell command|bash (?:command|script)|code snippet|requête sql|consulta sql"
    r"|sql-abfrage|expression régulière|expresión regular|expressão regular"
    r"|mermaid|plantuml|graphviz|(?:git|shell|bash|terminal|cli|npm|docker) commands?",
    r"正则表达式|代码",
)
# Code the user already has: "my code", "ce code", "mi código", ...
OWN_CODE = terms(
    r"(?:my|this|the|our|your) (?:entire |whole )?(?:code|codebase|code base|source code"
    r"|repository|repo"
    r"|script|program|function|query|handler)"
    r"|(?:mon|ce|le) (?:code|script|programme)|(?:ma|cette) (?:fonction|requête)"
    r"|(?:mi|este|el) (?:código|script|programa)|(?:mein|meinen|dieser|diesen|den) (?:code|skript)"
    r"|(?:meu|este|o) (?:código|script|programa)"
    r"|(?:attached|here are|here is|these|this|my|our) (?:are |is )?(?:[\d,]+ lines of )?(?:the )?"
    r"(?:server |error |application |access |crash )?logs?\b",
    r"我的(?:代码|程序|脚本)|这段代码",
)
# Software vocabulary: enough for "the topic is software", not for "write code".
TECH = terms(
    r"python|javascript|typescript|js|java|kotlin|swift|rust|golang|c\+\+|c#|ruby|php|scala"
    r"|haskell|perl|sql|html|css|bash|powershell|react|vue|angular|django|flask|fastapi"
    r"|spring|rails|node(?:\.?js)?|express|langchain|pandas|numpy|tensorflow|pytorch"
    r"|matplotlib|git|github|gitlab|docker|kubernetes|k8s|npm|pip|webpack|api|apis|rest"
    r"|graphql|database|nosql|postgres(?:ql)?|mysql|sqlite|redis|mongodb|thread|threads"
    r"|recursion|recursive|algorithm|data structure|linked list|binary tree|hash ?map|tuple"
    r"|compiler|debugging|backend|frontend|microservices?|deployment|pull request|merge"
    r"|rebase|tcp|http(?!:)|dns|regex|message queues?|kafka|rabbitmq|nginx|apache|terraform"
    r"|ansible|helm|systemd|css|abstract class|interfaces?|inheritance|polymorphism"
    r"|object[- ]oriented|oop|design patterns?|closures?|async|concurrency|hash table|bst"
    r"|binary search|latex|dependency injection|solid principles|mvc|orm|ci/cd|devops"
    r"|machine learning|deep learning|neural networks?|flutter|swiftui|android|xcode|unity"
    r"|next\.?js|nuxt|svelte|laravel|dotnet|\.net|electron|web app|branches"
    r"|branching strategy|commit(?:ting)? (?:directly )?to (?:main|master)|force push"
    r"|merge conflicts?|programming|software|codebase|source code"
    r"|quicksort|goroutines?|container|pod|repository|repo|unit tests?|logs?|log dump"
    r"|programmation|programación|programmierung|programação|recursão|récursivité|recursión"
    r"|base de données|base de datos|datenbank|banco de dados",
    r"编程|代码|程序|数据库|算法",
)
# Software things that, with a problem, make a request to debug ("my app crashes").
SOFTWARE_THING = terms(r"apps?|website|site|server|program|script|build|deploy(?:ment)?|pipeline")
# "implement binary search": implementing anything technical is writing code.
IMPLEMENT = r"implement|code up|program"
# Something is wrong: with software vocabulary, a request to debug.
PROBLEM = terms(
    r"errors?|exceptions?|bug|bugs|crash(?:es|ed|ing)?|fails?|failing|failed|broken"
    r"|doesn't work|does not work|not working|won'?t \w+|throws?|what'?s wrong|keeps? getting"
    r"|can'?t get|cannot get|isn'?t working"
    r"|leaks?|leaking|oomkilled|segfault|hangs|freezes|permission denied|infinite loop"
    r"|erreur|plante|ne marche pas|ne fonctionne pas|falla|no funciona|fehler|stürzt ab"
    r"|startet nicht|funktioniert nicht|erro|falha|não funciona|trava",
    r"报错|错误|崩溃|异常",
)
# Shapes only code has. Case-sensitive on purpose: "Import the data" is prose.
CODE_SHAPES = re.compile(
    r"```"
    r"|^\s*(?:def|class)\s+\w+\s*[(:]"
    r"|^\s*(?:import\s+[\w.]+(?:\s+as\s+\w+)?|from\s+[\w.]+\s+import\s+\w+)\s*$"
    r"|`[^`\n]{2,}`|(?<![\w.])\.(?:gitignore|dockerignore|env|bashrc|zshrc|editorconfig)\b"
    r"|\b(?:package\.json|requirements\.txt|pyproject\.toml|tsconfig\.json|Cargo\.toml|go\.mod)\b"
    r"|\{[^{}\n]*;[^{}\n]*\}|\b(?:def|function) \w+\(|#include\s*<"
    r"|\b(?:console\.log|System\.out\.print\w*|printf|print)\s*\("
    r"|=>|!==|===|\+\+|&&"
    r"|\bfor\s*\(.*;.*;|\bfor \w+ in (?:range|enumerate|zip)\(|\bfunc \w+\(|\bfn \w+\("
    r"|\bpublic (?:static )?(?:class|void|int|String)\b|\bSELECT\b.+\bFROM\b"
    r"|\b[a-z]{2,}[A-Z][a-z]{2,}\w*\b"  # camelCase identifiers: setState, useEffect
    r"|\b(?:awk|sed|grep|curl|git|docker|kubectl|npm|pip|chmod|ssh|find)\s+-{1,2}\w"
    r"|\b[A-Z]\w+(?:Error|Exception)\b|Traceback \(most recent call last\)|OOMKilled"
    r"|Segmentation fault|core dumped|\bpanic: |undefined is not a function"
    r"|\w\.\w+\([^)]*\)|\b[a-z_]\w*\[['\"]\w+['\"]\]"
    r"|[;{}]\s*\n.*[;{}]\s*$",
    re.MULTILINE,
)
# "how do I reverse a linked list": a how-to on a data structure wants code back.
HOW_TO_CODE = terms(
    r"how (?:do|can|would|should) (?:i|you|we) \w+ (?:a|an|the) (?:linked list|binary tree"
    r"|array|hash ?map|dictionary|string|list|stack|queue|graph|tree|heap)"
)
# Run-time operations on software: "pull a docker image and run it", "deploy nginx".
OPERATE = terms(r"install|deploy|configure|set up|run|pull|push|build|compile|upgrade|migrate")
# Programming languages, as targets: "translate this into Rust" is code, not translation.
PROGRAMMING_LANGUAGE_NAMES = (
    r"python|javascript|typescript|java|kotlin|swift|rust|go|golang|c\+\+|c#|c|ruby|php"
    r"|scala|haskell|perl|bash|sql|dart|lua|r"
)

# -- reasoning --------------------------------------------------------------------------------

MATH_EXPRESSION = re.compile(
    r"\b\d*[a-z]\s*(?:\^|²|\*\*)\s*\d"  # x^2, a², x**2
    r"|[\w)]\s*\^\s*[\w(]"  # (1 + 1/n)^n
    r"|\b\d+\s*[a-z]\s*[-+]\s*\d"  # 2x + 5
    r"|[-+*/]\s*\d+\s*=\s*-?\d"  # ... + 5 = 17
    r"|\d\s+[*×÷]\s+\d"  # 48213 * 9977
    r"|\d\s+(?:times|plus|minus|fois|por|mal|vezes)\s+\d|(?:divided|multiplied) by\s+\d"
    r"|\d\s*(?:%|percent|prozent|por ciento|pour ?cent|por cento)\s*(?:of|de|von|du|do|da)\s*\d",
    re.IGNORECASE,
)
MATH_WORDS = terms(
    r"equations?|solve for|integral|integrate|derivative|differentiate|prove|proof|theorem"
    r"|lemma|probability|probabilities|odds of|compound(?:ed)? interest|area of|volume of"
    r"|perimeter|circumference|factorial|permutations?|combinations|logarithm|eigen\w*"
    r"|arithmetic|limit of|infinite series|sudoku|syllogism|logically|fallacy|logic puzzle|riddle"
    r"|brain ?teaser|trick question|the trick|monty hall|birthday paradox|knights and knaves"
    r"|(?:argument|reasoning) (?:is )?valid|valid argument|p-value|statistically significant"
    r"|significantly|significance|standard deviation|confidence interval|variance"
    r"|how many [a-z]'?s|percentage|as a (?:fraction|decimal)|square root|cube root"
    r"|chances? (?:of|that|the)|odds|dice|coin (?:flips?|toss(?:es)?)|show that"
    r"|demonstrate that|square (?:footage|feet|meters|metres)|next number|in the sequence"
    r"|number sequence|how many ways|in how many ways|de combien de façons|de cuántas maneras"
    r"|auf wie viele arten|de quantas maneiras|triangle|right angles?|hypotenuse|pythagor\w*"
    r"|polygon"
    r"|how many (?:seconds|minutes|hours|days|weeks|months|years|inches|feet|meters|cm|km"
    r"|miles|grams|ounces|pounds|liters|litres|cups) (?:are )?(?:there )?in"
    r"|wie viele (?:sekunden|minuten|stunden|tage|wochen|monate|jahre|meter|gramm|liter)"
    r"|combien de (?:secondes|minutes|heures|jours|semaines|mois|mètres|grammes|litres)"
    r"|cuántos (?:segundos|minutos|días|meses|metros|gramos|litros)|cuántas horas"
    r"|quantos (?:segundos|minutos|dias|meses|metros|gramas|litros)|quantas horas"
    r"|\ball \w+ are \w+\b.{1,60}\ball \w+ are"
    r"|équation|résous|résoudre|intégrale|dérivée|démontre|démontrer|prouve|probabilité"
    r"|combien font|ecuación|resuelve|resolver|derivada|demuestra"
    r"|probabilidad|combinaciones|gleichung|löse|ableitung|beweise"
    r"|wahrscheinlichkeit|equação|resolva|prove que"
    r"|probabilidade|quanto é|montre que|demuestra que|zeige, dass|mostre que"
    r"|racine carrée|raíz cuadrada|quadratwurzel|raiz quadrada|pourcentage|porcentaje",
    r"方程|积分|导数|证明|概率|计算|百分之|平方根",
)
# Maths words that, in a request for code, describe what the program does ("a function
# that sums the integers"), so they count only when no code is asked for.
MATH_WEAK = terms(
    r"calculate|compute|calcule[rz]?|calcula|calcular|berechne|berechnet|berechnen"
    r"|sum of (?:all|the first)"
    r"|integers?|prime (?:numbers?|factors?)|is \d+ (?:a )?prime|divisible|gcd|lcm"
    r"|greatest common|least common|remainder when|margin|profit|break[- ]even|roi"
    r"|return on investment|discount|average speed|mortgage|down payment|monthly payments?"
    r"|amorti[sz]\w*|interest rate",
    r"计算",
)
UNIT_CONVERSION = terms(
    r"convert\s+\$?\d[\d.,]*\s*(?:°|degrees|fahrenheit|celsius|miles?|km|kilometers?|kg"
    r"|pounds?|lbs?|feet|foot|inch(?:es)?|cm|meters?|litres?|liters?|gallons?|ounces?|oz"
    r"|dollars?|euros?|usd|eur|gbp)"
)
QUANTITY_QUESTION = terms(
    r"how much|how many|how long (?:will|would|for|does it take)|how far|when will|when does"
    r"|at what time|what time"
    r"|what (?:was|is|will be|would be) the (?:\w+ )?(?:price|cost|total|amount|speed|time"
    r"|distance|area|value|number|percentage|average)"
    r"|cuántos|cuántas|cuánto|combien|wie viel|wie viele|quanto|quantos|quantas",
    r"多少|几个",
)
THINK_CAREFULLY = terms(
    r"(?:think|reason|work|go)(?: it)?(?: through)?(?: this)? step[- ]by[- ]step"
    r"|step[- ]by[- ]step(?! (?:guide|instructions|tutorial|plan|walkthrough))"
    r"|think (?:carefully|hard|it through)|reason (?:carefully|about it|it out)"
    r"|show your (?:work|reasoning)|chain of thought|explain each step"
    r"|walk me through (?:your|the) (?:reasoning|logic|maths?)|(?:carefully )?weigh (?:up )?"
    r"(?:whether|the|my)"
    r"|explique chaque étape|étape par étape|paso a paso|schritt für schritt|passo a passo",
    r"一步一步|逐步",
)
COMPLEXITY = terms(
    r"time complexity|space complexity|big[- ]o|complexité|complejidad|komplexität"
    r"|complexidade",
    r"复杂度",
)
PLANNING = terms(
    r"plan (?:a|an|my|the|our)|itinerary|schedule|choose|which (?:one )?should i|decide"
    r"|allocate|optimi[sz]e|split|divide|distribute|how should i"
    r"|planifie|planifica|planea|plane|planeje"
)
CONSTRAINT = terms(
    r"under \$?\d|no more than|at most|at least|budget|within \d|maximum|minimum|max \d"
    r"|moins de|máximo|mínimo|höchstens|mindestens|no máximo"
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
    re.IGNORECASE,
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
    re.IGNORECASE,
)
# A figures word followed closely by three numbers: "visits per day: 310, 295, 402".
FIGURES_LISTED = re.compile(
    rf"(?:{FIGURES.pattern}).{{0,80}}?\d[\d.,%]*(?:\D{{1,20}}\d[\d.,%]*){{2,}}",
    re.IGNORECASE | re.DOTALL,
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
