/**
 * Hostile input for test/e2e/injection.e2e.ts (DESIGN.md promise 5), one list per way content
 * reaches a page. Written for attune from the patterns of these public lists:
 * - OWASP "XSS Filter Evasion Cheat Sheet" (obfuscated `javascript:` URLs, entity and case tricks);
 * - PortSwigger Web Security Academy "Cross-site scripting (XSS) cheat sheet" (event handlers that
 *   fire without interaction, `autofocus`/`ontoggle`, SVG animation, AngularJS-style template text);
 * - Mario Heiderich's "HTML5 Security Cheatsheet" (html5sec.org) and "mXSS Attacks" (CCS 2013);
 * - the DOMPurify bypass write-ups (Michał Bentkowski/Securitum 2019–2020: `<svg></p><style>`,
 *   `<math><mtext><table><mglyph><style>`, nested `<form>` namespace confusion) and cure53's
 *   DOMPurify test fixtures;
 * - swisskyrepo "PayloadsAllTheThings" (XSS Injection, polyglots such as Ahmed Elsobky's);
 * - PortSwigger Research "DOM clobbering" (Gareth Heyes) and the `id`/`name` collections of
 *   DOM Clobbering Wiki (domclob.xyz).
 * Every payload that could run calls the page's canary `pwn()` (or `parent.pwn()` from a frame),
 * or loads `/pages/pwn.js`, `/pages/pwn.html` or `/pages/pwn.css`, whose requests the test server
 * sees. Same-origin files matter: `default-src 'self'` would let them run, so only attune's own
 * sanitising keeps them out.
 */

/** A declarative node, as the config carries it (loosely typed: hostile trees break the type). */
type Tree = unknown

/**
 * Markup a site might (carelessly, or through a compromised CMS) put in a variant `<template>`.
 * Each goes after a marker paragraph in a template of its own. Every one is closed, so none can
 * swallow the `</template>` after it: the page itself stays as written.
 */
export const TEMPLATE_PAYLOADS: readonly string[] = [
  // <script> in its forms; same-origin src passes CSP, so only sanitising stops it.
  '<script>pwn()</script>',
  '<script src="/pages/pwn.js"></script>',
  '<script type="module" src="/pages/pwn.js"></script>',
  '<SCRIPT SRC=/pages/pwn.js></SCRIPT>',
  '<script defer async src="/pages/pwn.js?2"></script>',
  '<scr<script>ipt>pwn()</scr</script>ipt>',
  '<script>trustedTypes.createPolicy("default",{createHTML:s=>s,createScript:s=>s,createScriptURL:s=>s});pwn()</script>',
  '<script type="text/plain">pwn()</script>',
  // SVG: scripts, handlers, animation of href.
  '<svg><script>pwn()</script></svg>',
  '<svg><script href="/pages/pwn.js"></script></svg>',
  '<svg><script xlink:href="/pages/pwn.js"></script></svg>',
  '<svg onload=pwn()></svg>',
  '<svg/onload=pwn()></svg>',
  '<svg><animate onbegin=pwn() attributeName=x dur=1s></animate></svg>',
  '<svg><set attributeName=onmouseover to=pwn()></set><rect width=99 height=99></rect></svg>',
  '<svg><a><animate attributeName=href values=javascript:pwn()></animate><text x=20 y=20>tap</text></a></svg>',
  '<svg><a xlink:href="javascript:pwn()"><text x=20 y=20>tap</text></a></svg>',
  '<svg><image href="x" onerror="pwn()"></image></svg>',
  '<svg><foreignObject><img src=x onerror=pwn()></foreignObject></svg>',
  '<svg><use href="data:image/svg+xml,&lt;svg id=\'x\' xmlns=\'http://www.w3.org/2000/svg\'&gt;&lt;image href=\'1\' onerror=\'pwn()\'/&gt;&lt;/svg&gt;#x"></use></svg>',
  '<svg><style>&lt;img src=x onerror=pwn()&gt;</style></svg>',
  // MathML and namespace-confusion mXSS (the DOMPurify bypasses).
  '<math><mtext><table><mglyph><style><img src=x onerror=pwn()></style></mglyph></table></mtext></math>',
  '<math><mtext><h1><a><h6></a></h6><mglyph><svg><mtext><style><a title="</style><img src=x onerror=pwn()>"></a></style></mtext></svg></mglyph></h1></mtext></math>',
  '<svg></p><style><a id="</style><img src=1 onerror=pwn()>"></a></style></svg>',
  '<form><math><mtext></form><form><mglyph><style></math><img src onerror=pwn()></style></mglyph></form></mtext></math></form>',
  '<math><annotation-xml encoding="text/html"><style><img src=x onerror=pwn()></style></annotation-xml></math>',
  '<math><mi xlink:href="data:x,<script>pwn()</script>">tap</mi></math>',
  '<math href="javascript:pwn()">tap</math>',
  '<math><maction actiontype="statusline" xlink:href="javascript:pwn()">tap</maction></math>',
  // Raw-text and RCDATA elements whose content re-parses as markup once serialised.
  '<noscript><p title="</noscript><img src=x onerror=pwn()>"></p></noscript>',
  '<xmp><p title="</xmp><img src=x onerror=pwn()>"></p></xmp>',
  '<title><img src=x onerror=pwn()></title>',
  '<textarea><img src=x onerror=pwn()></textarea>',
  '<noembed><img src=x onerror=pwn()></noembed>',
  '<noframes><img src=x onerror=pwn()></noframes>',
  '<iframe><img src=x onerror=pwn()></iframe>',
  '<template><img src=x onerror=pwn()><script>pwn()</script></template>',
  '<div><template shadowrootmode="open"><img src=x onerror=pwn()><script src="/pages/pwn.js"></script></template></div>',
  '<p><template shadowrootmode="closed" shadowrootclonable><img src=x onerror=pwn()></template>shadow</p>',
  '<p><template shadowrootmode="closed" shadowrootclonable><script src="/pages/pwn.js"></script></template>closed shadow</p>',
  '<div><template shadowrootmode="open" shadowrootclonable><a href="javascript:pwn()">x</a><slot></slot></template>open shadow</div>',
  // Event handlers, including those that fire with no interaction.
  '<img src=x onerror=pwn()>',
  '<IMG SRC=x ONERROR="pwn()">',
  '<img src=x oNeRrOr=pwn()>',
  '<img/src=x/onerror=pwn()>',
  '<img src=x onerror=&#112;&#119;&#110;&#40;&#41;>',
  '<img src=x onerror="&#x70;wn()">',
  '<img src="x" onerror\n=pwn()>',
  '<img src=x:pwn() onerror=eval(src.slice(2))>',
  '<img src=/pages/none.png onload=pwn() onerror=pwn()>',
  '<img """><script>pwn()</script>">',
  '<img src="x` `<script>pwn()</script>"` `>',
  '<details open ontoggle=pwn()><summary>more</summary></details>',
  '<a href=/pages/ok autofocus onfocus=pwn() tabindex=1>focus</a>',
  '<input autofocus onfocus=pwn()>',
  '<select autofocus onfocus=pwn()><option>x</option></select>',
  '<textarea autofocus onfocus=pwn()></textarea>',
  '<keygen autofocus onfocus=pwn()>',
  '<video><source onerror=pwn()></video>',
  '<audio src=x onerror=pwn()></audio>',
  '<video poster=javascript:pwn() src=x onerror=pwn()></video>',
  '<marquee onstart=pwn()>news</marquee>',
  '<body onload=pwn() onpageshow=pwn()>',
  '<div onpointerenter=pwn() onmouseover=pwn() onclick=pwn()>hover</div>',
  '<button popovertarget=pop onclick=pwn()>open</button><div popover onbeforetoggle=pwn()>pop</div>',
  '<style onload=pwn()></style>',
  '<x-pwn onclick=pwn() is="x-evil">custom</x-pwn>',
  '<p is="x-evil" slot="x" part="y">is</p>',
  // Navigation and resource URLs: javascript:, data:, vbscript:, obfuscated.
  '<a href="javascript:pwn()">js</a>',
  '<a href="JaVaScRiPt:pwn()">case</a>',
  '<a href="java&#x09;script:pwn()">tab</a>',
  '<a href="java&#x0A;script:pwn()">newline</a>',
  '<a href="java&#x0D;script:pwn()">return</a>',
  '<a href="jav&Tab;ascript:pwn()">named tab</a>',
  '<a href="javas&NewLine;cript:pwn()">named newline</a>',
  '<a href=" &#x20; javascript:pwn()">leading spaces</a>',
  '<a href="&#1;&#14;javascript:pwn()">leading controls</a>',
  '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;pwn()">decimal</a>',
  '<a href="&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;pwn()">hex</a>',
  '<a href="&#0000106&#0000097&#0000118&#0000097&#0000115&#0000099&#0000114&#0000105&#0000112&#0000116&#0000058pwn()">padded</a>',
  '<a href="javascript&colon;pwn&lpar;&rpar;">colon entity</a>',
  '<a href="javascript://%0Apwn()">comment newline</a>',
  '<a href="vbscript:msgbox(1)">vb</a>',
  '<a href="data:text/html,<script>pwn()</script>">data</a>',
  '<a href="DATA:text/html;base64,PHNjcmlwdD5wd24oKTwvc2NyaXB0Pg==">data base64</a>',
  '<a href="javascript:/*--></title></style></textarea></script></xmp><svg/onload=\'+/&quot;/+/onmouseover=1/+/[*/[]/+pwn()//\'>">polyglot</a>',
  '<a href=`javascript:pwn()`>backticks</a>',
  '<IMG SRC="jav&#x09;ascript:pwn();">',
  '<img srcset="data:image/svg+xml,<svg onload=pwn()> 1x">',
  '<img srcset="x.png 1x, javascript:pwn() 2x">',
  '<picture><source srcset="javascript:pwn()"><img src=/pages/none.png></picture>',
  '<img lowsrc="javascript:pwn()" dynsrc="javascript:pwn()" src=/pages/none.png>',
  '<q cite="javascript:pwn()">q</q><blockquote cite="data:text/html,x">b</blockquote>',
  '<table background="javascript:pwn()"><tbody><tr><td background="javascript:pwn()">cell</td></tr></tbody></table>',
  // Frames, plugins and documents within the page.
  '<iframe src="javascript:parent.pwn()"></iframe>',
  '<iframe srcdoc="<script>parent.pwn()</script>"></iframe>',
  '<iframe srcdoc="&lt;img src=x onerror=parent.pwn()&gt;"></iframe>',
  '<iframe src="/pages/pwn.html"></iframe>',
  '<object data="javascript:pwn()"></object>',
  '<object data="/pages/pwn.html" type="text/html"></object>',
  '<object type="image/svg+xml" data="data:image/svg+xml,<svg onload=parent.pwn()></svg>"></object>',
  '<embed src="javascript:pwn()">',
  '<embed src="/pages/pwn.html" type="text/html">',
  '<portal src="/pages/pwn.html"></portal>',
  '<frameset onload=pwn()><frame src="/pages/pwn.html"></frameset>',
  '<applet code="x" codebase="javascript:pwn()"></applet>',
  // Document-level elements: base, meta refresh, links, styles, forms.
  '<base href="javascript:pwn()//">',
  '<base href="/pages/pwn.html">',
  '<meta http-equiv="refresh" content="0;url=javascript:pwn()">',
  '<meta http-equiv="refresh" content="0; url=/pages/pwn.html">',
  '<meta http-equiv="Content-Security-Policy" content="default-src *">',
  '<link rel="stylesheet" href="/pages/pwn.css">',
  '<link rel="import" href="/pages/pwn.html">',
  '<link rel="modulepreload" href="/pages/pwn.js">',
  '<style>@import "/pages/pwn.css";</style>',
  '<style>*{background:url("javascript:pwn()")}</style>',
  '<div style="background:url(javascript:pwn());width:expression(pwn())">styled</div>',
  '<form action="javascript:pwn()"><button>go</button></form>',
  '<button formaction="javascript:pwn()" form="f">submit</button>',
  '<input type="image" src="x" onerror="pwn()" formaction="javascript:pwn()">',
  '<isindex action="javascript:pwn()" type="image">',
  // Comments, CDATA and processing instructions that end early.
  '<!--><img src=x onerror=pwn()>-->',
  '<!-- --!><img src=x onerror=pwn()>-->',
  '<![CDATA[><img src=x onerror=pwn()>]]>',
  '<?xml-stylesheet href="/pages/pwn.css"?><p>pi</p>',
  '<!--<img src="--><img src=x onerror=pwn()//">',
  // DOM clobbering: id and name that shadow window/document properties attune or the page read.
  '<img name="attune" src=/pages/none.png>',
  '<a id="attune" href="/pages/ok">a</a><a id="attune" name="q" href="/pages/ok">b</a>',
  '<form name="cookie"></form><img name="cookie">',
  '<img name="getElementById"><img name="querySelector"><img name="body">',
  '<form id="location"><input name="href" value="javascript:pwn()"></form>',
  '<a id="defaultView"></a><a id="__pwned"></a>',
  '<embed name="attune"><object id="attune" name="attune"></object>',
  '<iframe name="attune"></iframe>',
  '<form><input name="attributes"><input name="nodeName"></form>',
  '<div id="attune-config" data-allow-force="true" title="clobbered"></div>',
  '<a data-attune-track="product_added" onclick="pwn()">track me</a>',
]

/** Entries of `?attune_force`: hostile ones mixed with real ones; only real variants may be chosen. */
export const HOSTILE_FORCE: readonly string[] = [
  '<script>pwn()</script>:v',
  'x:<img src=x onerror=pwn()>',
  '__proto__:v',
  'constructor:toString',
  'i0:__proto__',
  'i1:javascript:pwn()',
]

/**
 * Declarative content the client guard must refuse: tags and attributes outside the allow-list,
 * unsafe URLs, and shapes that are not node trees. Each runs in a config of its own (one bad
 * variant makes its whole config invalid), with the slot keeping its default content.
 */
export const REFUSED_CONTENT: readonly Tree[][] = [
  [{ tag: 'script', children: ['pwn()'] }],
  [{ tag: 'script', attrs: { src: '/pages/pwn.js' } }],
  [{ tag: 'SCRIPT', attrs: { src: '/pages/pwn.js' } }],
  [{ tag: 'svg', attrs: { onload: 'pwn()' } }],
  [{ tag: 'svg', children: [{ tag: 'script', children: ['pwn()'] }] }],
  [{ tag: 'math', children: [{ tag: 'mglyph', children: [{ tag: 'style', children: ['<img src=x onerror=pwn()>'] }] }] }],
  [{ tag: 'iframe', attrs: { srcdoc: '<script>parent.pwn()</script>' } }],
  [{ tag: 'iframe', attrs: { src: '/pages/pwn.html' } }],
  [{ tag: 'object', attrs: { data: 'javascript:pwn()' } }],
  [{ tag: 'embed', attrs: { src: '/pages/pwn.html' } }],
  [{ tag: 'base', attrs: { href: 'javascript:pwn()//' } }],
  [{ tag: 'meta', attrs: { 'http-equiv': 'refresh', content: '0;url=javascript:pwn()' } }],
  [{ tag: 'link', attrs: { rel: 'stylesheet', href: '/pages/pwn.css' } }],
  [{ tag: 'style', children: ['@import "/pages/pwn.css";'] }],
  [{ tag: 'form', attrs: { action: 'javascript:pwn()' }, children: [{ tag: 'button', children: ['go'] }] }],
  [{ tag: 'template', children: [{ tag: 'img', attrs: { src: 'x', onerror: 'pwn()' } }] }],
  [{ tag: 'noscript', children: ['<img src=x onerror=pwn()>'] }],
  [{ tag: 'input', attrs: { autofocus: '', onfocus: 'pwn()' } }],
  [{ tag: 'img', attrs: { src: 'x', onerror: 'pwn()' } }],
  [{ tag: 'img', attrs: { src: 'x', ONERROR: 'pwn()' } }],
  [{ tag: 'details', attrs: { open: '', ontoggle: 'pwn()' }, children: [{ tag: 'summary', children: ['x'] }] }],
  [{ tag: 'div', attrs: { 'data-x onclick': 'pwn()' } }],
  [{ tag: 'div', attrs: { 'aria-label"onmouseover="pwn()': 'x' } }],
  [{ tag: 'a', attrs: { href: 'javascript:pwn()' }, children: ['js'] }],
  [{ tag: 'a', attrs: { href: ' JavaScript:pwn()' }, children: ['case and space'] }],
  [{ tag: 'a', attrs: { href: 'java\tscript:pwn()' }, children: ['tab'] }],
  [{ tag: 'a', attrs: { href: 'java\nscript:pwn()' }, children: ['newline'] }],
  [{ tag: 'a', attrs: { href: '\u0000\u0001javascript:pwn()' }, children: ['controls'] }],
  [{ tag: 'a', attrs: { href: 'javascript:%70wn()' }, children: ['percent'] }],
  [{ tag: 'a', attrs: { href: 'vbscript:msgbox(1)' }, children: ['vb'] }],
  [{ tag: 'a', attrs: { href: 'data:text/html,<script>pwn()</script>' }, children: ['data'] }],
  [{ tag: 'a', attrs: { href: 'blob:https://evil.example/0' }, children: ['blob'] }],
  [{ tag: 'img', attrs: { src: 'data:image/svg+xml,<svg onload=pwn()>' } }],
  [{ tag: 'img', attrs: { srcset: 'x.png 1x, data:image/svg+xml,<svg onload=pwn()> 2x' } }],
  [{ tag: 'q', attrs: { cite: 'javascript:pwn()' } }],
  [{ tag: 'a', attrs: { 'xlink:href': 'javascript:pwn()' } }],
  [{ tag: 'button', attrs: { formaction: 'javascript:pwn()' }, children: ['go'] }],
  [{ tag: 'div', attrs: { style: 'background:url(javascript:pwn())' } }],
  [{ tag: 'img', attrs: { name: 'cookie' } }],
  [{ tag: 'div', attrs: { id: 'attune' } }],
  [{ tag: 'p', attrs: { is: 'x-evil' } }],
  [{ tag: 'a', attrs: { href: { toString: 'javascript:pwn()' } } }],
  [{ tag: 'a', attrs: { ['__proto__']: { onclick: 'pwn()' } } }],
  [{ tag: 'img', attrs: { src: 'x', constructor: 'pwn()' } }],
  [{ tag: '__proto__' }],
  [{ tag: 'p', children: 'not a list' }],
  [{ tag: 'p', attrs: ['onclick', 'pwn()'] }],
  // Deeper than 16 levels, with a script at the bottom.
  [JSON.parse('{"tag":"div","children":['.repeat(20) + '{"tag":"script","children":["pwn()"]}' + ']}'.repeat(20))],
]

/**
 * Declarative content the guard accepts, whose hostile strings must stay inert: markup in text
 * nodes renders as text, quotes in attribute values stay inside them. `text` is the slot's
 * expected `textContent` when it is the hostile string itself.
 */
export const INERT_CONTENT: ReadonlyArray<{ content: Tree[]; text?: string }> = [
  { content: ['<script>pwn()</script>'], text: '<script>pwn()</script>' },
  { content: ['<img src=x onerror=pwn()>'], text: '<img src=x onerror=pwn()>' },
  { content: [{ tag: 'p', children: ['"><svg onload=pwn()>'] }], text: '"><svg onload=pwn()>' },
  { content: [{ tag: 'p', children: ['</p><script>pwn()</script><p>'] }], text: '</p><script>pwn()</script><p>' },
  { content: ['&lt;script&gt;pwn()&lt;/script&gt;'], text: '&lt;script&gt;pwn()&lt;/script&gt;' },
  { content: ['{{constructor.constructor("pwn()")()}} ${pwn()} #{pwn()}'], text: '{{constructor.constructor("pwn()")()}} ${pwn()} #{pwn()}' },
  { content: ['<!--<img src="--><img src=x onerror=pwn()//">'], text: '<!--<img src="--><img src=x onerror=pwn()//">' },
  { content: [{ tag: 'a', attrs: { href: 'javascript&colon;pwn()' }, children: ['entity stays text'] }] },
  { content: [{ tag: 'a', attrs: { href: 'https://ok.example/?q=<script>pwn()</script>', title: '" onmouseover="pwn()' }, children: ['q'] }] },
  { content: [{ tag: 'img', attrs: { src: '/pages/none.png', alt: '" onerror="pwn()', title: "' onload='pwn()" } }] },
  { content: [{ tag: 'div', attrs: { 'data-onload': 'pwn()', 'aria-label': '<script>pwn()</script>', class: 'x" onclick="pwn()' }, children: ['data'] }] },
  { content: [{ tag: 'img', attrs: { srcset: '/pages/none.png 1x, /pages/none.png?javascript:pwn() 2x', src: '/pages/none.png' } }] },
  { content: [{ tag: 'button', attrs: { type: 'submit', value: '<img src=x onerror=pwn()>' }, children: ['buy'] }] },
  { content: [{ tag: 'details', attrs: { open: '' }, children: [{ tag: 'summary', children: ['<svg/onload=pwn()>'] }] }] },
  { content: [{ tag: 'a', attrs: { href: '/pages/ok#javascript:pwn()', target: '_top', rel: 'noopener' }, children: ['fragment'] }] },
]

/** An edit list the client guard must refuse (on* attributes, unsafe URLs, id/name/style…). */
export const REFUSED_EDITS: readonly Tree[][] = [
  [{ select: 'a', attrs: { onclick: 'pwn()' } }],
  [{ select: 'a', attrs: { ONMOUSEOVER: 'pwn()' } }],
  [{ select: 'img', attrs: { onerror: 'pwn()' } }],
  [{ attrs: { onfocus: 'pwn()', tabindex: '0' } }],
  [{ select: 'a', attrs: { href: 'javascript:pwn()' } }],
  [{ select: 'a', attrs: { href: 'JAVASCRIPT:pwn()' } }],
  [{ select: 'a', attrs: { href: '  java\tscr\nipt:pwn()' } }],
  [{ select: 'a', attrs: { href: 'vbscript:msgbox(1)' } }],
  [{ select: 'a', attrs: { href: 'data:text/html;base64,PHNjcmlwdD5wd24oKTwvc2NyaXB0Pg==' } }],
  [{ select: 'img', attrs: { src: 'data:image/svg+xml,<svg onload=pwn()>' } }],
  [{ select: 'img', attrs: { srcset: 'javascript:pwn() 1x' } }],
  [{ select: 'p', attrs: { style: 'background:url(javascript:pwn())' } }],
  [{ select: 'p', attrs: { id: 'attune' } }],
  [{ select: 'img', attrs: { name: 'cookie' } }],
  [{ select: 'p', attrs: { srcdoc: '<script>parent.pwn()</script>' } }],
  [{ select: 'button', attrs: { formaction: 'javascript:pwn()' } }],
  [{ select: 'a', attrs: { 'xlink:href': 'javascript:pwn()' } }],
  [{ select: 'p', attrs: { ['__proto__']: { onclick: 'pwn()' } } }],
  [{ select: 'p', text: { toString: 'pwn()' } }],
  [{ select: 'p', text: 'fine' }, { select: 'a', attrs: { href: 'javascript:pwn()' } }],
]

/**
 * Edits the guard cannot judge without the page: selectors that match nothing or do not parse, and
 * targets that are not ordinary content — the slot's JSON-LD `<script>` (its text is code once its
 * type changes, and a `src` set on it loads), a `<link>` (a stylesheet from anywhere), an
 * `<iframe>`, SVG. Each must leave the slot exactly as it was.
 */
export const REFUSED_ON_PAGE_EDITS: readonly Tree[][] = [
  [{ select: 'script', text: 'pwn()' }],
  [{ select: 'script', attrs: { type: 'text/javascript' } }, { select: 'script', text: 'pwn()' }],
  [{ select: 'script', attrs: { type: 'module' } }, { select: 'script', attrs: { src: '/pages/pwn.js' } }],
  [{ select: 'script', attrs: { src: '/pages/pwn.js', type: 'text/javascript' } }],
  [{ select: 'link', attrs: { href: '/pages/pwn.css' } }],
  [{ select: 'link', text: '@import "/pages/pwn.css";' }],
  [{ select: 'iframe', attrs: { src: '/pages/pwn.html' } }],
  [{ select: 'svg', attrs: { 'data-x': 'y' } }],
  [{ select: '</p><script>pwn()</script>', text: 'x' }],
  [{ select: 'a[href^="javascript"]', text: 'x' }],
  [{ select: 'p', text: 'half' }, { select: 'body', text: 'x' }],
]

/** Edits the guard accepts, whose hostile strings must stay text and quoted attribute values. */
export const INERT_EDITS: ReadonlyArray<{ edits: Tree[]; text?: string }> = [
  { edits: [{ select: 'p', text: '<img src=x onerror=pwn()>' }] },
  { edits: [{ select: 'h3', text: '</h3><script>pwn()</script>' }] },
  { edits: [{ text: '<svg onload=pwn()><script src="/pages/pwn.js"></script>' }], text: '<svg onload=pwn()><script src="/pages/pwn.js"></script>' },
  { edits: [{ select: 'a', attrs: { title: '" onmouseover="pwn()', href: '/pages/ok?<script>pwn()</script>' } }] },
  { edits: [{ select: 'img', attrs: { alt: '<img src=x onerror=pwn()>', src: '/pages/none.png?"onerror="pwn()' } }] },
  { edits: [{ select: 'a', attrs: { href: 'https://ok.example/#javascript:pwn()' } }] },
  { edits: [{ select: 'button', attrs: { value: 'javascript:pwn()', 'aria-label': '"><script>pwn()</script>' } }] },
  { edits: [{ select: 'p', attrs: { 'data-x': 'javascript:pwn()', class: '"><img src=x onerror=pwn()>' } }] },
  { edits: [{ select: 'a', attrs: { href: 'javascript&colon;pwn()' } }] },
  { edits: [{ select: ':scope > p', text: '{{constructor.constructor("pwn()")()}}' }] },
]

/**
 * Config strings outside content: ids the guard must refuse (each in a config of its own).
 * `at` names what the hostile value is.
 */
export const REFUSED_CONFIG_STRINGS: ReadonlyArray<{ at: string; config: Record<string, unknown> }> = [
  { at: 'slot name', config: { variants: { '<img src=x onerror=pwn()>': [{ id: 'v', content: ['x'] }] } } },
  { at: 'slot name', config: { variants: { 'hero" onmouseover="pwn()': [{ id: 'v', content: ['x'] }] } } },
  { at: 'slot name', config: { variants: { 'javascript:pwn()': [{ id: 'v', content: ['x'] }] } } },
  { at: 'slot name', config: { variants: { ['__proto__']: [{ id: 'v', content: ['x'] }] } } },
  { at: 'slot name', config: { variants: { constructor: [{ id: 'v', content: ['x'] }] } } },
  { at: 'variant id', config: { variants: { c0: [{ id: '<script>pwn()</script>', content: ['x'] }] } } },
  { at: 'variant id', config: { variants: { c0: [{ id: '" onerror="pwn()', content: ['x'] }] } } },
  { at: 'variant id', config: { variants: { c0: [{ id: '../../pages/pwn', content: ['x'] }] } } },
  { at: 'audience id', config: { audiences: [{ id: '<svg onload=pwn()>', condition: { all: [] } }], variants: { c0: [{ id: 'v', audience: '<svg onload=pwn()>', content: ['x'] }] } } },
  { at: 'audience reference', config: { variants: { c0: [{ id: 'v', audience: 'javascript:pwn()', content: ['x'] }] } } },
  { at: 'experiment key', config: { variants: { c0: [{ id: 'v', content: ['x'] }] }, experiments: [{ key: '"><img src=x onerror=pwn()>', slot: 'c0', variants: ['v'] }] } },
  { at: 'experiment arm', config: { variants: { c0: [{ id: 'v', content: ['x'] }] }, experiments: [{ key: 'e', slot: 'c0', variants: ['<script>pwn()</script>'] }] } },
  { at: 'allowForce', config: { allowForce: 'javascript:pwn()', variants: { c0: [{ id: 'v', content: ['x'] }] } } },
  { at: 'tags', config: { variants: { c0: [{ id: 'v', tags: [{ toString: 'pwn()' }], content: ['x'] }] } } },
  { at: 'goals', config: { goals: [['pwn()']], variants: { c0: [{ id: 'v', content: ['x'] }] } } },
  { at: 'condition operator', config: { audiences: [{ id: 'a', condition: { fact: 'page.path', op: 'constructor', value: 'pwn()' } }], variants: { c0: [{ id: 'v', audience: 'a', content: ['x'] }] } } },
  { at: 'condition key', config: { audiences: [{ id: 'a', condition: { ['__proto__']: { fact: 'page.path', op: 'exists' } } }], variants: { c0: [{ id: 'v', audience: 'a', content: ['x'] }] } } },
  { at: 'huge string', config: { variants: { c0: [{ id: 'v', content: ['<script>pwn()</script>'.repeat(500)] }] } } },
]

/**
 * Config strings the guard accepts, which must stay data: hostile affinity tags (their value is
 * what `explain` would say), goals, fact paths and condition values, and audience ids that are
 * valid but read like code. Slot `c0` has one variant per entry here, `v0`…; the test arranges
 * which one wins.
 */
export const INERT_CONFIG_STRINGS: ReadonlyArray<{ at: string; value: string }> = [
  { at: 'tag', value: 'category:<img src=x onerror=pwn()>' },
  { at: 'tag', value: 'brand:"><script>pwn()</script>' },
  { at: 'tag', value: 'category:javascript:pwn()' },
  { at: 'tag', value: 'category:{{constructor.constructor("pwn()")()}}' },
  { at: 'goal', value: '<img src=x onerror=pwn()>' },
  { at: 'goal', value: 'javascript:pwn()' },
  { at: 'fact path', value: '__proto__.constructor' },
  { at: 'fact path', value: 'constructor.constructor' },
  { at: 'fact path', value: 'profile.__proto__.polluted' },
  { at: 'fact path', value: 'page.title<script>pwn()</script>' },
  { at: 'condition value', value: '<script>pwn()</script>' },
  { at: 'audience id', value: 'onerror' },
  { at: 'audience id', value: 'javascript' },
]

/** Slot names in the page's own markup (`data-attune-slot`), each must keep its default content. */
export const HOSTILE_SLOT_NAMES: readonly string[] = [
  '<img src=x onerror=pwn()>',
  '" onmouseover="pwn()',
  'javascript:pwn()',
  '__proto__',
  'constructor',
  'toString',
  'hasOwnProperty',
  "'];pwn();//",
  '*',
  '',
]

/**
 * `data-attune-*` attributes of page templates (slot, id, tags, audience, weight) with hostile
 * values. `slot` is the slot the template names; the page has one slot per distinct name.
 */
export const HOSTILE_TEMPLATE_ATTRS: ReadonlyArray<Record<string, string>> = [
  { variant: 'x<script>pwn()</script>', id: 'v' },
  { variant: 'h0', id: '" onload="pwn()' },
  { variant: 'h1', id: 'v', audience: '<svg onload=pwn()>' },
  { variant: 'h2', id: 'v', weight: 'javascript:pwn()' },
  { variant: 'h3', id: 'v', tags: 'category:<img/src=x/onerror=pwn()> brand:javascript:pwn()', audience: 'everyone' },
  { variant: '__proto__', id: 'v', audience: 'everyone' },
  { variant: 'constructor', id: 'v', audience: 'everyone' },
  { variant: 'h4', id: '__proto__', audience: 'everyone' },
]
