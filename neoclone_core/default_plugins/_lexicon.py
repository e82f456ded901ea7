"""The words the default task analyser looks for to find code and reasoning, in English,
French, Spanish, German, Portuguese and Chinese (the other kinds: `_lexicon_tasks.py`).

Non-ASCII punctuation (full-width marks, curly quotes, the multiplication sign) is
deliberate: people type it.

Kept apart from the rules that use them so that adding a language, or a word the rules
missed, is an edit to data. Each constant is one regular-expression alternation; `terms()`
compiles Latin-script words with word boundaries and Chinese ones without (Chinese has no
spaces, so a boundary would never match inside a sentence).

The patterns are written in lower case and compiled without `re.IGNORECASE` (`FOLDED`):
the detectors match them against the lowercased instruction (`Clues.low`), which Python's
`re` scans three to four times faster than a case-insensitive pattern. `CODE_SHAPES` alone
is case-sensitive and reads the text as written.
"""

# ruff: noqa: RUF001
from __future__ import annotations

import re

FOLDED = 0  # the flags of a pattern matched against lowercased text (no re.IGNORECASE)


def terms(latin: str, cjk: str = "", *, flags: int = FOLDED) -> re.Pattern[str]:
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
    FOLDED,
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
