/* Unit tests of the Starlark interpreter: a table of scripts with their
 * expected value (repr of the module global `r`) or expected error
 * (starlark-go's message), covering the language, every builtin, every
 * string/list/dict/set method and each class of error.
 *
 * A case's source is an expression ("1 + 2", evaluated as r = (...)) or,
 * when it has a newline, a whole module that sets r. An expected value
 * starting with '!' is an error message. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "starlark/starlark.h"
#include "tests/lib/checkrun.h"

typedef struct tcase_ {
    const char *src;
    const char *want;
} tcase_;

#define F(body) "def f():\n" body "r = f()\n"

static const tcase_ cases[] = {
    /* ---- literals and arithmetic ---- */
    {"1 + 2 * 3", "7"},
    {"(1 + 2) * 3", "9"},
    {"7 // 2", "3"},
    {"-7 // 2", "-4"},
    {"7 // -2", "-4"},
    {"7 % 3", "1"},
    {"-7 % 3", "2"},
    {"7 % -3", "-2"},
    {"7 / 2", "3.5"},
    {"6 / 3", "2.0"},
    {"2.5 * 2", "5.0"},
    {"1 + 2.0", "3.0"},
    {"7.5 // 2", "3.0"},
    {"-7.5 % 2", "0.5"},
    {"0x1F + 0o17 + 0b101", "51"},
    {"1e3", "1000.0"},
    {"1e6", "1e+06"},
    {"1.5e-7", "1.5e-07"},
    {"0.1 + 0.2", "0.30000000000000004"},
    {"123456.0", "123456.0"},
    {"1234567.0", "1.234567e+06"},
    {"0.0001", "0.0001"},
    {"0.00001", "1e-05"},
    {"-0.0", "-0.0"},
    {"float('inf')", "+inf"},
    {"float('-inf')", "-inf"},
    {"float('nan')", "nan"},
    {"-5", "-5"},
    {"+5", "5"},
    {"~5", "-6"},
    {"6 & 3", "2"},
    {"6 | 3", "7"},
    {"6 ^ 3", "5"},
    {"1 << 10", "1024"},
    {"-1024 >> 3", "-128"},
    {"1 >> 70", "0"},
    {"9223372036854775807", "9223372036854775807"},
    {"-9223372036854775807 - 1", "-9223372036854775808"},
    {"9223372036854775807 + 1", "!integer overflow"},
    {"-9223372036854775807 - 2", "!integer overflow"},
    {"4611686018427387904 * 2", "!integer overflow"},
    {"(-9223372036854775807 - 1) // -1", "!integer overflow"},
    {"-(-9223372036854775807 - 1)", "!integer overflow"},
    {"1 << 63", "!integer overflow"},
    {"1 << -1", "!negative shift count: -1"},
    {"1 << 600", "!shift count too large: 600"},
    {"1 // 0", "!floored division by zero"},
    {"1 % 0", "!integer modulo by zero"},
    {"1 / 0", "!floating-point division by zero"},
    {"1.0 / 0.0", "!floating-point division by zero"},
    {"1.5 // 0", "!floored division by zero"},
    {"1.5 % 0.0", "!floating-point modulo by zero"},
    {"1 + 'a'", "!unknown binary op: int + string"},
    {"'a' - 'b'", "!unknown binary op: string - string"},
    {"[1] * 'x'", "!unknown binary op: list * string"},
    {"-'a'", "!unknown unary op: - string"},
    {"~1.5", "!unknown unary op: ~ float"},
    {"1 < 'a'", "!int < string not implemented"},
    {"None < None", "!NoneType < NoneType not implemented"},
    {"{} < {}", "!dict < dict not implemented"},
    {"1 == 1.0", "True"},
    {"1 < 1.5", "True"},
    {"2 > 1.5", "True"},
    {"9007199254740993 > 9007199254740992.0", "True"},
    {"'a' < 'b'", "True"},
    {"'abc' < 'abd'", "True"},
    {"'ab' < 'abc'", "True"},
    {"[1, 2] < [1, 3]", "True"},
    {"[1, 2] < [1, 2, 0]", "True"},
    {"(1, 'a') == (1, 'a')", "True"},
    {"[1, [2]] == [1, [2]]", "True"},
    {"{'a': 1} == {'a': 1}", "True"},
    {"{'a': 1} != {'a': 2}", "True"},
    {"1 == '1'", "False"},
    {"None == None", "True"},
    {"True == 1", "False"},
    {"True > False", "True"},
    {"float('nan') == float('nan')", "True"},
    {"1 != 2", "True"},
    {"1 < 2 < 3", "!syntax"},
    /* ---- strings ---- */
    {"'hello' + ' ' + \"world\"", "\"hello world\""},
    {"'ab' * 3", "\"ababab\""},
    {"3 * 'ab'", "\"ababab\""},
    {"'ab' * 0", "\"\""},
    {"'ab' * -1", "\"\""},
    {"'abc'[1]", "\"b\""},
    {"'abc'[-1]", "\"c\""},
    {"'abc'[3]", "!string index 3 out of range [-3:2]"},
    {"''[0]", "!index 0 out of range: empty string"},
    {"'abc'['x']", "!string index: got string, want int"},
    {"'hello'[1:3]", "\"el\""},
    {"'hello'[::-1]", "\"olleh\""},
    {"'hello'[::2]", "\"hlo\""},
    {"'hello'[-3:]", "\"llo\""},
    {"'hello'[:100]", "\"hello\""},
    {"'hello'[4:1]", "\"\""},
    {"'hello'[::0]", "!zero is not a valid slice step"},
    {"'hello'['a':]", "!invalid start index: got string, want int"},
    {"'el' in 'hello'", "True"},
    {"'x' not in 'hello'", "True"},
    {"1 in 'abc'", "!'in <string>' requires string as left operand, not int"},
    {"len('héllo')", "6"},
    {"'a\\tb\\n'", "\"a\\tb\\n\""},
    {"'\\x41\\101\\u00e9'", "\"AAé\""},
    {"r'a\\nb'", "\"a\\\\nb\""},
    {"r = '''multi\nline'''\n", "\"multi\\nline\""},
    {"'say \"hi\"'", "\"say \\\"hi\\\"\""},
    {"'%s and %s' % ('a', 1)", "\"a and 1\""},
    {"'%d%%' % 50", "\"50%\""},
    {"'%r' % 'x'", "\"\\\"x\\\"\""},
    {"'%s' % [1, 'a']", "\"[1, \\\"a\\\"]\""},
    {"'%x %X %o' % (255, 255, 8)", "\"ff FF 10\""},
    {"'%x' % -255", "\"-ff\""},
    {"'%d' % 3.9", "\"3\""},
    {"'%e' % 1234.5", "\"1.234500e+03\""},
    {"'%f' % 1.5", "\"1.500000\""},
    {"'%g' % 1.0", "\"1.0\""},
    {"'%g' % 1e20", "\"1e+20\""},
    {"'%c%c' % (65, 'b')", "\"Ab\""},
    {"'%(a)s-%(b)d' % {'a': 'x', 'b': 2}", "\"x-2\""},
    {"'%s %s' % ('a',)", "!not enough arguments for format string"},
    {"'%s' % ('a', 'b')", "!too many arguments for format string"},
    {"'%d' % 'a'", "!%d format requires integer: cannot convert string to int"},
    {"'%f' % 'a'", "!%f format requires float, not string"},
    {"'%z' % 1", "!unknown conversion %z"},
    {"'%' % 1", "!incomplete format"},
    {"'%(a)s' % 1", "!format requires a mapping"},
    {"'%(a)s' % {}", "!key not found: a"},
    {"'%(a' % {}", "!incomplete format key"},
    {"'%.2f' % 1.0", "!unknown conversion %."},
    /* str.format */
    {"'{} {}'.format(1, 'a')", "\"1 a\""},
    {"'{1}{0}'.format('a', 'b')", "\"ba\""},
    {"'{x}-{y}'.format(x=1, y=[2])", "\"1-[2]\""},
    {"'{!r}'.format('a')", "\"\\\"a\\\"\""},
    {"'{{}}{}'.format(3)", "\"{}3\""},
    {"'{}'.format()", "!format: tuple index out of range"},
    {"'{0}{}'.format(1, 2)", "!format: cannot switch from manual field specification to automatic field numbering"},
    {"'{}{0}'.format(1, 2)", "!format: cannot switch from automatic field numbering to manual field specification"},
    {"'{x}'.format(y=1)", "!format: keyword x not found"},
    {"'{:>5}'.format(1)", "!format spec features not supported in replacement fields: >5"},
    {"'{'.format(1)", "!format: unmatched '{' in format"},
    {"'}'.format(1)", "!format: single '}' in format"},
    {"'{!x}'.format(1)", "!format: unknown conversion \"x\""},
    {"'{a.b}'.format(a=1)", "!format: attribute syntax x.y is not supported in replacement fields: a.b"},
    {"'{a.b}'.format()", "!format: attribute syntax x.y is not supported in replacement fields: a.b"},
    /* string methods */
    {"'Hello'.lower()", "\"hello\""},
    {"'Hello'.upper()", "\"HELLO\""},
    {"'hello world'.title()", "\"Hello World\""},
    {"'hELLO'.capitalize()", "\"Hello\""},
    {"'  x y  '.strip()", "\"x y\""},
    {"'  x  '.lstrip()", "\"x  \""},
    {"'  x  '.rstrip()", "\"  x\""},
    {"'xxaxx'.strip('x')", "\"a\""},
    {"'abcba'.lstrip('ab')", "\"cba\""},
    {"'abcba'.rstrip('ab')", "\"abc\""},
    {"'a,b,,c'.split(',')", "[\"a\", \"b\", \"\", \"c\"]"},
    {"' a  b c '.split()", "[\"a\", \"b\", \"c\"]"},
    {"'a b c'.split(None, 1)", "[\"a\", \"b c\"]"},
    {"'a,b,c'.split(',', 1)", "[\"a\", \"b,c\"]"},
    {"'a,b,c'.rsplit(',', 1)", "[\"a,b\", \"c\"]"},
    {"'a b c'.rsplit(None, 1)", "[\"a b\", \"c\"]"},
    {"''.split(',')", "[\"\"]"},
    {"''.split()", "[]"},
    {"'a'.split('')", "!split: empty separator"},
    {"'a'.split(1)", "!split: got int for separator, want string"},
    {"'a\\nb\\n'.splitlines()", "[\"a\", \"b\"]"},
    {"'a\\nb'.splitlines(True)", "[\"a\\n\", \"b\"]"},
    {"''.splitlines()", "[]"},
    {"'hello'.startswith('he')", "True"},
    {"'hello'.startswith(('x', 'h'))", "True"},
    {"'hello'.endswith('lo')", "True"},
    {"'hello'.endswith('l', 0, 4)", "True"},
    {"'hello'.startswith(1)", "!startswith: got int, want string or tuple of string"},
    {"'hello'.startswith(('a', 1))", "!startswith: want string, got int, for element 1"},
    {"'hello'.find('l')", "2"},
    {"'hello'.rfind('l')", "3"},
    {"'hello'.find('z')", "-1"},
    {"'hello'.find('l', 3)", "3"},
    {"'hello'.find('h', 1)", "-1"},
    {"'hello'.index('e')", "1"},
    {"'hello'.rindex('l')", "3"},
    {"'hello'.index('z')", "!index: substring not found"},
    {"'hello'.rindex('z')", "!rindex: substring not found"},
    {"'hello'.find(1)", "!find: for parameter 1: got int, want string"},
    {"'banana'.count('a')", "3"},
    {"'banana'.count('an', 2)", "1"},
    {"'ab'.count('')", "3"},
    {"'aaa'.replace('a', 'b')", "\"bbb\""},
    {"'aaa'.replace('a', 'b', 2)", "\"bba\""},
    {"'ab'.replace('', '-')", "\"-a-b-\""},
    {"'-'.join(['a', 'b', 'c'])", "\"a-b-c\""},
    {"''.join([])", "\"\""},
    {"','.join(['a', 1])", "!join: in list, want string, got int"},
    {"','.join(1)", "!join: for parameter 1: got int, want iterable"},
    {"'a=b=c'.partition('=')", "(\"a\", \"=\", \"b=c\")"},
    {"'a=b=c'.rpartition('=')", "(\"a=b\", \"=\", \"c\")"},
    {"'abc'.partition('x')", "(\"abc\", \"\", \"\")"},
    {"'abc'.rpartition('x')", "(\"\", \"\", \"abc\")"},
    {"'abc'.partition('')", "!partition: empty separator"},
    {"'123'.isdigit()", "True"},
    {"'12a'.isdigit()", "False"},
    {"''.isdigit()", "False"},
    {"'abc'.isalpha()", "True"},
    {"'ab1'.isalnum()", "True"},
    {"'ab-'.isalnum()", "False"},
    {"' \\t'.isspace()", "True"},
    {"'abc'.islower()", "True"},
    {"'aBc'.islower()", "False"},
    {"'ABC'.isupper()", "True"},
    {"'123'.isupper()", "False"},
    {"'Hello World'.istitle()", "True"},
    {"'Hello world'.istitle()", "False"},
    {"'prefix_x'.removeprefix('prefix_')", "\"x\""},
    {"'x.txt'.removesuffix('.txt')", "\"x\""},
    {"'x.txt'.removesuffix('.md')", "\"x.txt\""},
    {"list('abc'.elems())", "[\"a\", \"b\", \"c\"]"},
    {"list('ab'.elem_ords())", "[97, 98]"},
    {"list('aé'.codepoints())", "[\"a\", \"é\"]"},
    {"list('aé'.codepoint_ords())", "[97, 233]"},
    {"type('a'.elems())", "\"string.elems\""},
    {"'abc'.foo", "!string has no .foo field or method"},
    {"'abc'.jon(',')", "!string has no .jon field or method (did you mean .join?)"},
    {"'abc'.jion(',')", "!string has no .jion field or method"},
    {"'a'.upper(1)", "!upper: got 1 arguments, want 0"},
    {"'a'.split(',', 1, 2)", "!split: got 3 arguments, want at most 2"},
    {"'a'.replace('a')", "!replace: got 1 arguments, want at least 2"},
    {"'a'.lower(x=1)", "!lower: unexpected keyword arguments"},
    {"'abc'[0] == 'a'", "True"},
    {"'héllo'.upper()", "\"HÉLLO\""},
    /* ---- lists ---- */
    {"[1, 2] + [3]", "[1, 2, 3]"},
    {"[1] * 3", "[1, 1, 1]"},
    {"[1, 2, 3][-1]", "3"},
    {"[1, 2, 3][5]", "!list index 5 out of range [-3:2]"},
    {"[][0]", "!index 0 out of range: empty list"},
    {"[1, 2, 3][1:]", "[2, 3]"},
    {"[1, 2, 3, 4][::-2]", "[4, 2]"},
    {"[1, 2, 3][True]", "!list index: got bool, want int"},
    {"2 in [1, 2]", "True"},
    {"3 not in [1, 2]", "True"},
    {"len([1, 2, 3])", "3"},
    {F("    l = [1]\n    l.append(2)\n    return l\n"), "[1, 2]"},
    {F("    l = [1]\n    l.extend([2, 3])\n    l.extend((4,))\n    return l\n"), "[1, 2, 3, 4]"},
    {F("    l = [1, 2]\n    l.extend(l)\n    return l\n"), "[1, 2, 1, 2]"},
    {F("    l = [1, 3]\n    l.insert(1, 2)\n    l.insert(-100, 0)\n    l.insert(100, 4)\n    return l\n"),
     "[0, 1, 2, 3, 4]"},
    {F("    l = [1, 2, 3]\n    return l.pop(), l.pop(0), l\n"), "(3, 1, [2])"},
    {F("    l = [1, 2, 1]\n    l.remove(1)\n    return l\n"), "[2, 1]"},
    {F("    l = [1, 2]\n    l.remove(3)\n"), "!remove: element not found"},
    {"[1, 2, 3].index(2)", "1"},
    {"[1, 2, 1].index(1, 1)", "2"},
    {"[1, 2].index(5)", "!index: value not in list"},
    {F("    l = [1, 2]\n    l.clear()\n    return l\n"), "[]"},
    {"[].pop()", "!pop: index -1 out of range: empty list"},
    {"[1].pop(5)", "!pop: list index 5 out of range [-1:0]"},
    {"[1].insert('a', 1)", "!insert: for parameter 1: got string, want int"},
    {"[1].append()", "!append: got 0 arguments, want 1"},
    {"[1].extend(1)", "!extend: for parameter 1: got int, want iterable"},
    {F("    l = [1, 2]\n    l[0] = 5\n    l[-1] += 1\n    return l\n"), "[5, 3]"},
    {F("    l = [1]\n    l[3] = 1\n"), "!list index 3 out of range [-1:0]"},
    {F("    l = [1]\n    l += [2]\n    l += (3,)\n    return l\n"), "[1, 2, 3]"},
    {F("    a = [1]\n    b = a\n    a += [2]\n    return b\n"), "[1, 2]"},
    {F("    l = [1, 2]\n    for x in l:\n        l.append(x)\n"), "!append: cannot append to list during iteration"},
    {"[1, 2] == [1, 2]", "True"},
    {"[x * 2 for x in [1, 2, 3]]", "[2, 4, 6]"},
    {"[x for x in range(10) if x % 3 == 0]", "[0, 3, 6, 9]"},
    {"[(x, y) for x in range(2) for y in 'ab'.elems()]", "[(0, \"a\"), (0, \"b\"), (1, \"a\"), (1, \"b\")]"},
    {"[y for y in 'ab']", "!string value is not iterable"},
    {"[x for x in [1, 2] if x > 1 for y in [x, x]]", "[2, 2]"},
    {"[[y for y in range(x)] for x in range(3)]", "[[], [0], [0, 1]]"},
    {"[1, 2].foo()", "!list has no .foo field or method"},
    {"dir([])", "[\"append\", \"clear\", \"extend\", \"index\", \"insert\", \"pop\", \"remove\"]"},
    /* ---- tuples ---- */
    {"(1, 2) + (3,)", "(1, 2, 3)"},
    {"(1,) * 2", "(1, 1)"},
    {"(1, 2)[1]", "2"},
    {"(1, 2, 3)[:2]", "(1, 2)"},
    {"()", "()"},
    {"(1,)", "(1,)"},
    {"tuple([1, 2])", "(1, 2)"},
    {"(1, 2)[2]", "!tuple index 2 out of range [-2:1]"},
    {F("    t = (1, 2)\n    t[0] = 1\n"), "!tuple value does not support item assignment"},
    {"{(1, 2): 'a'}[(1, 2)]", "\"a\""},
    /* ---- dicts ---- */
    {"{'a': 1, 'b': 2}", "{\"a\": 1, \"b\": 2}"},
    {"{'a': 1}['a']", "1"},
    {"{'a': 1}['b']", "!key \"b\" not in dict"},
    {"{1: 'x'}[2]", "!key 2 not in dict"},
    {"{'a': 1, 'a': 2}", "!duplicate key: \"a\""},
    {"{[1]: 2}", "!unhashable type: list"},
    {"{}[[]]", "!unhashable type: list"},
    {"[] in {}", "False"},
    {"'a' in {'a': 1}", "True"},
    {"{'a': 1}.get('a')", "1"},
    {"{'a': 1}.get('b')", "None"},
    {"{'a': 1}.get('b', 5)", "5"},
    {"{'a': 1, 'b': 2}.items()", "[(\"a\", 1), (\"b\", 2)]"},
    {"{'a': 1, 'b': 2}.keys()", "[\"a\", \"b\"]"},
    {"{'a': 1, 'b': 2}.values()", "[1, 2]"},
    {F("    d = {'a': 1, 'b': 2}\n    return d.pop('a'), d\n"), "(1, {\"b\": 2})"},
    {F("    d = {}\n    return d.pop('a', 0)\n"), "0"},
    {F("    d = {}\n    d.pop('a')\n"), "!pop: missing key"},
    {F("    d = {'a': 1}\n    return d.popitem(), d\n"), "((\"a\", 1), {})"},
    {"{}.popitem()", "!popitem: empty dict"},
    {F("    d = {}\n    x = d.setdefault('a', 1)\n    y = d.setdefault('a', 2)\n    return x, y, d\n"),
     "(1, 1, {\"a\": 1})"},
    {F("    d = {'a': 1}\n    d.update({'b': 2}, c=3)\n    d.update([('d', 4)])\n    return d\n"),
     "{\"a\": 1, \"b\": 2, \"c\": 3, \"d\": 4}"},
    {F("    d = {'a': 1}\n    d.clear()\n    return d\n"), "{}"},
    {F("    d = {'x': 1}\n    d['y'] = 2\n    d['x'] += 10\n    return d\n"), "{\"x\": 11, \"y\": 2}"},
    {F("    d = {'b': 1, 'a': 2}\n    d['b'] = 3\n    return list(d)\n"), "[\"b\", \"a\"]"},
    {F("    d = {1: 1, 2: 2, 3: 3}\n    d.pop(2)\n    d[2] = 4\n    return d\n"), "{1: 1, 3: 3, 2: 4}"},
    {F("    d = {'a': 1}\n    for k in d:\n        d['b'] = 2\n"), "!cannot insert into hash table during iteration"},
    {"{'a': 1} | {'b': 2}", "{\"a\": 1, \"b\": 2}"},
    {F("    d = {'a': 1}\n    d |= {'a': 3}\n    return d\n"), "{\"a\": 3}"},
    {"{k: v for k, v in [('a', 1), ('b', 2)]}", "{\"a\": 1, \"b\": 2}"},
    {"{x: x * x for x in range(3)}", "{0: 0, 1: 1, 2: 4}"},
    {"dict(a=1, b=2)", "{\"a\": 1, \"b\": 2}"},
    {"dict([('a', 1)], b=2)", "{\"a\": 1, \"b\": 2}"},
    {"dict({'a': 1})", "{\"a\": 1}"},
    {"dict()", "{}"},
    {"dict(1, 2)", "!dict: got 2 arguments, want at most 1"},
    {"dict([1])", "!dict: dictionary update sequence element #0 is not iterable (int)"},
    {"dict([(1, 2, 3)])", "!dict: dictionary update sequence element #0 has length 3, want 2"},
    {"dict(1)", "!dict: got int, want iterable"},
    {"len({'a': 1})", "1"},
    {"{'a': 1}.get()", "!get: got 0 arguments, want at least 1"},
    {"{'a': 1}.gett('a')", "!dict has no .gett field or method (did you mean .get?)"},
    {"dir({})", "[\"clear\", \"get\", \"items\", \"keys\", \"pop\", \"popitem\", \"setdefault\", \"update\", \"values\"]"},
    {"{1: 2}.items()[0][1]", "2"},
    {"{1.0: 'f'}[1]", "\"f\""},
    /* ---- sets ---- */
    {"set([1, 2, 2, 3])", "set([1, 2, 3])"},
    {"set()", "set([])"},
    {"len(set('a'.elems()))", "1"},
    {"set([1, 2]) | set([2, 3])", "set([1, 2, 3])"},
    {"set([1, 2]) & set([2, 3])", "set([2])"},
    {"set([1, 2]) - set([2, 3])", "set([1])"},
    {"set([1, 2]) ^ set([2, 3])", "set([1, 3])"},
    {"2 in set([1, 2])", "True"},
    {"set([1, 2]) == set([2, 1])", "True"},
    {"set([1]) < set([1, 2])", "True"},
    {"set([1, 2]).union([3], (4,))", "set([1, 2, 3, 4])"},
    {"set([1, 2]).intersection([2])", "set([2])"},
    {"set([1, 2]).difference([2])", "set([1])"},
    {"set([1, 2]).symmetric_difference([2, 3])", "set([1, 3])"},
    {"set([1]).issubset([1, 2])", "True"},
    {"set([1, 2]).issuperset([1])", "True"},
    {F("    s = set()\n    s.add(1)\n    s.add(1)\n    s.update([2, 3])\n    s.discard(3)\n    s.discard(9)\n    return s\n"),
     "set([1, 2])"},
    {F("    s = set([1, 2])\n    s.remove(1)\n    return s, s.pop(), s\n"), "(set([]), 2, set([]))"},
    {F("    s = set([1])\n    s.remove(2)\n"), "!remove: missing key"},
    {"set().pop()", "!pop: empty set"},
    {F("    s = set([1])\n    s.clear()\n    return s\n"), "set([])"},
    {"set([[1]])", "!set: unhashable type: list"},
    {"[1] in set([1])", "!unhashable type: list"},
    {"set(1)", "!set: for parameter 1: got int, want iterable"},
    {"set([1]).union(1)", "!union: argument #1 is not iterable: int"},
    /* ---- control flow and functions ---- */
    {F("    s = 0\n    for i in range(5):\n        if i == 3:\n            continue\n        s += i\n    return s\n"), "7"},
    {F("    for i in range(10):\n        if i == 4:\n            break\n    return i\n"), "4"},
    {F("    x = 5\n    if x > 10:\n        return 'big'\n    elif x > 3:\n        return 'mid'\n    else:\n        return 'small'\n"),
     "\"mid\""},
    {F("    pass\n"), "None"},
    {F("    return\n"), "None"},
    {F("    a, b = 1, 2\n    a, b = b, a\n    return a, b\n"), "(2, 1)"},
    {F("    [a, (b, c)] = [1, (2, 3)]\n    return a + b + c\n"), "6"},
    {F("    for a, b in [(1, 2), (3, 4)]:\n        pass\n    return a, b\n"), "(3, 4)"},
    {F("    a, b = [1, 2, 3]\n"), "!too many values to unpack (got 3, want 2)"},
    {F("    a, b, c = (1, 2)\n"), "!too few values to unpack (got 2, want 3)"},
    {F("    a, b = 1\n"), "!got int in sequence assignment"},
    {F("    x = 1\n    x += 2\n    x -= 1\n    x *= 10\n    x //= 3\n    x %= 4\n    x <<= 2\n    x |= 1\n    return x\n"),
     "9"},
    {"1 if True else 2", "1"},
    {"1 if False else 2", "2"},
    {"0 or 'x'", "\"x\""},
    {"1 and 'x'", "\"x\""},
    {"0 and 1 / 0", "0"},
    {"not 0", "True"},
    {"not []", "True"},
    {"(lambda x, y=2: x * y)(3)", "6"},
    {"(lambda: 42)()", "42"},
    {"list(map_)", "!undefined: map_"},
    {"def f(a, b=2, *args, **kw):\n    return a, b, args, kw\nr = f(1, 2, 3, 4, x=5)\n",
     "(1, 2, (3, 4), {\"x\": 5})"},
    {"def f(a, *, b):\n    return a + b\nr = f(1, b=2)\n", "3"},
    {"def f(a, *, b):\n    return a + b\nr = f(1)\n", "!function f missing 1 argument (b)"},
    {"def f(a, b):\n    return a\nr = f(1)\n", "!function f missing 1 argument (b)"},
    {"def f(a, b):\n    return a\nr = f()\n", "!function f missing 2 arguments (a, b)"},
    {"def f(a):\n    return a\nr = f(1, 2)\n", "!function f accepts 1 positional argument (2 given)"},
    {"def f(a, b=1):\n    return a\nr = f(1, 2, 3)\n", "!function f accepts at most 2 positional arguments (3 given)"},
    {"def f():\n    return 1\nr = f(1)\n", "!function f accepts no arguments (1 given)"},
    {"def f(a):\n    return a\nr = f(b=1)\n", "!function f got an unexpected keyword argument b"},
    {"def f(a):\n    return a\nr = f(1, a=2)\n", "!function f got multiple values for parameter a"},
    {"def f(a, b):\n    return a - b\nr = f(b=1, a=5)\n", "4"},
    {"def f(*args):\n    return args\nr = f(*[1, 2], *())\n", "!syntax"},
    {"def f(*args):\n    return args\nr = f(*[1, 2])\n", "(1, 2)"},
    {"def f(**kw):\n    return kw\nr = f(**{'a': 1})\n", "{\"a\": 1}"},
    {"def f(a, b):\n    return a + b\nr = f(*(1,), **{'b': 2})\n", "3"},
    {"def f(*args):\n    return args\nr = f(*1)\n", "!argument after * must be iterable, not int"},
    {"def f(**kw):\n    return kw\nr = f(**[1])\n", "!argument after ** must be a mapping, not list"},
    {"def f(**kw):\n    return kw\nr = f(**{1: 2})\n", "!keywords must be strings, not int"},
    {"def f(x=[]):\n    x.append(1)\n    return x\nr = f()\n", "[1]"},
    {"def after(x=[]):\n    x.append(1)\n", "!append: cannot append to frozen list"},
    {"def mk(n):\n    def add(x):\n        return x + n\n    return add\nr = mk(10)(5)\n", "15"},
    {"def mk():\n    fs = [lambda: i for i in range(3)]\n    return [f() for f in fs]\nr = mk()\n", "[2, 2, 2]"},
    {"def outer():\n    a = 1\n    def mid():\n        def inner():\n            return a\n        return inner()\n    return mid()\nr = outer()\n",
     "1"},
    {"def f():\n    return f()\nr = f()\n", "!function f called recursively"},
    {"def f():\n    return g()\ndef g():\n    return f()\nr = f()\n", "!function f called recursively"},
    {"def f():\n    x = y\n    y = 1\nr = f()\n", "!local variable y referenced before assignment"},
    {"def f():\n    return g\nr = f()\ng = 1\n", "!global variable g referenced before assignment"},
    {"def f():\n    return g\ng = 1\nr = f()\n", "1"},
    {"r = 1\nr()\n", "!invalid call of non-function (int)"},
    {"None()", "!invalid call of non-function (NoneType)"},
    {"r = len\n", "<built-in function len>"},
    {"def f():\n    pass\nr = f\n", "<function f>"},
    {"r = [].append\n", "<built-in method append of list value>"},
    {"type(lambda: 1)", "\"function\""},
    {"type(len)", "\"builtin_function_or_method\""},
    {"def f():\n    l = []\n    a = l.append\n    a(1)\n    return l\nr = f()\n", "[1]"},
    {F("    return [x for x in [1, 2, 3] if x != 2]\n"), "[1, 3]"},
    {F("    for x in 5:\n        pass\n"), "!int value is not iterable"},
    {F("    for x in 'abc':\n        pass\n"), "!string value is not iterable"},
    {F("    t = 0\n    for k, v in {'a': 1, 'b': 2}.items():\n        t += v\n    return t\n"), "3"},
    {F("    r = []\n    for x in range(10, 0, -3):\n        r.append(x)\n    return r\n"), "[10, 7, 4, 1]"},
    {F("    s = ''\n    for c in 'héllo'.codepoints():\n        s = c + s\n    return s\n"), "\"olléh\""},
    /* ---- frozen globals and values ---- */
    {"x = [1]\ndef after():\n    x.append(2)\n", "!append: cannot append to frozen list"},
    {"d = {'a': 1}\ndef after():\n    d['b'] = 2\n", "!cannot insert into frozen hash table"},
    {"d = {'a': 1}\ndef after():\n    d.pop('a')\n", "!pop: cannot delete from frozen hash table"},
    {"d = {'a': 1}\ndef after():\n    d.clear()\n", "!clear: cannot clear frozen hash table"},
    {"s = set([1])\ndef after():\n    s.add(2)\n", "!add: cannot insert into frozen hash table"},
    {"x = [1]\ndef after():\n    x[0] = 2\n", "!cannot assign to element of frozen list"},
    {"x = [1]\ndef after():\n    x += [2]\n", "!local variable x referenced before assignment"},
    {"x = [1]\ndef after():\n    y = x\n    y += [2]\n", "!cannot apply += to frozen list"},
    {"x = [[1]]\ndef after():\n    x[0].append(2)\n", "!append: cannot append to frozen list"},
    {"x = [1]\ndef after():\n    y = list(x)\n    y.append(2)\n    return y\n", "[1, 2]"},
    /* ---- builtins ---- */
    {"abs(-3)", "3"},
    {"abs(-2.5)", "2.5"},
    {"abs('a')", "!got string, want int or float"},
    {"all([1, True, 'x'])", "True"},
    {"all([1, 0])", "False"},
    {"all([])", "True"},
    {"any([0, '', None])", "False"},
    {"any([0, 1])", "True"},
    {"any(1)", "!any: for parameter 1: got int, want iterable"},
    {"bool()", "False"},
    {"bool([1])", "True"},
    {"bool('')", "False"},
    {"chr(65)", "\"A\""},
    {"chr(233)", "\"é\""},
    {"chr(-1)", "!chr: Unicode code point -1 out of range (<0)"},
    {"chr('a')", "!chr: got string, want int"},
    {"ord('A')", "65"},
    {"ord('é')", "233"},
    {"ord('ab')", "!ord: string encodes 2 Unicode code points, want 1"},
    {"ord(1)", "!ord: got int, want string or bytes"},
    {"dir(1)", "[]"},
    {"enumerate(['a', 'b'])", "[(0, \"a\"), (1, \"b\")]"},
    {"enumerate(['a'], 5)", "[(5, \"a\")]"},
    {"enumerate(1)", "!enumerate: for parameter 1: got int, want iterable"},
    {"float(1)", "1.0"},
    {"float('1.5')", "1.5"},
    {"float('  1.5')", "!invalid float literal:   1.5"},
    {"float('1e400')", "!floating-point number too large"},
    {"float('x')", "!invalid float literal: x"},
    {"float('')", "!float: empty string"},
    {"float(True)", "1.0"},
    {"float([])", "!float got list, want number or string"},
    {"getattr('a', 'upper')()", "\"A\""},
    {"getattr('a', 'nope', 7)", "7"},
    {"getattr('a', 'nope')", "!getattr: string has no .nope field or method"},
    {"hasattr('a', 'upper')", "True"},
    {"hasattr('a', 'nope')", "False"},
    {"hasattr(1, 'x')", "False"},
    {"hash('a')", "97"},
    {"hash('hello')", "99162322"},
    {"hash(1)", "!hash: got int, want string or bytes"},
    {"int('42')", "42"},
    {"int('-42')", "-42"},
    {"int('0x1f', 16)", "31"},
    {"int('1f', 16)", "31"},
    {"int('0x1f', 0)", "31"},
    {"int('0b101', 0)", "5"},
    {"int('0o17', 0)", "15"},
    {"int('17', 8)", "15"},
    {"int(' 1')", "!int: invalid literal with base 10:  1"},
    {"int('12a')", "!int: invalid literal with base 10: 12a"},
    {"int('0755', 0)", "!int: invalid literal with base 0: 0755"},
    {"int('1', 1)", "!int: base must be an integer >= 2 && <= 36"},
    {"int(1, 10)", "!int: can't convert non-string with explicit base"},
    {"int(3.9)", "3"},
    {"int(-3.9)", "-3"},
    {"int(True)", "1"},
    {"int(float('inf'))", "!int: cannot convert float infinity to integer"},
    {"int(1e30)", "!int: integer overflow"},
    {"int('99999999999999999999')", "!int: integer overflow"},
    {"int([])", "!int: cannot convert list to int"},
    {"int()", "!int: missing argument for x"},
    {"int(x='5')", "5"},
    {"len('abc')", "3"},
    {"len(range(10))", "10"},
    {"len(1)", "!len: value of type int has no len"},
    {"len()", "!len: got 0 arguments, want 1"},
    {"list()", "[]"},
    {"list((1, 2))", "[1, 2]"},
    {"list({'a': 1})", "[\"a\"]"},
    {"list(range(3))", "[0, 1, 2]"},
    {"max(1, 3, 2)", "3"},
    {"max([1, 3, 2])", "3"},
    {"min([3, 1, 2])", "1"},
    {"max(['a', 'bbb', 'cc'], key=len)", "\"bbb\""},
    {"min([3, 1], key=lambda x: -x)", "3"},
    {"max([])", "!max: argument is an empty sequence"},
    {"max()", "!max requires at least one positional argument"},
    {"max(1)", "!max: int value is not iterable"},
    {"max(1, 'a')", "!max: string > int not implemented"},
    {"print('a', 1, [2])", "None"},
    {"print('a', 'b', sep='-')", "None"},
    {"range(3)", "range(3)"},
    {"range(1, 5, 2)", "range(1, 5, 2)"},
    {"list(range(5, 0, -2))", "[5, 3, 1]"},
    {"range(0, 10, 0)", "!range: step argument must not be zero"},
    {"range('a')", "!range: for parameter 1: got string, want int"},
    {"range(10)[2]", "2"},
    {"range(10)[2:5]", "range(2, 5)"},
    {"3 in range(10)", "True"},
    {"10 in range(10)", "False"},
    {"range(3) == range(3)", "True"},
    {"repr('a')", "\"\\\"a\\\"\""},
    {"repr([1, 'a'])", "\"[1, \\\"a\\\"]\""},
    {"reversed([1, 2, 3])", "[3, 2, 1]"},
    {"reversed('abc'.elems())", "[\"c\", \"b\", \"a\"]"},
    {"sorted([3, 1, 2])", "[1, 2, 3]"},
    {"sorted(['b', 'a', 'C'])", "[\"C\", \"a\", \"b\"]"},
    {"sorted([3, 1, 2], reverse=True)", "[3, 2, 1]"},
    {"sorted(['aa', 'b', 'ccc'], key=len)", "[\"b\", \"aa\", \"ccc\"]"},
    {"sorted([(2, 'a'), (1, 'b'), (2, 'c'), (1, 'd')], key=lambda p: p[0])",
     "[(1, \"b\"), (1, \"d\"), (2, \"a\"), (2, \"c\")]"},
    {"sorted([(2, 'a'), (1, 'b'), (2, 'c')], key=lambda p: p[0], reverse=True)",
     "[(2, \"a\"), (2, \"c\"), (1, \"b\")]"},
    {"sorted({'b': 1, 'a': 2})", "[\"a\", \"b\"]"},
    {"sorted([1, 'a'])", "!string < int not implemented"},
    {"sorted(1)", "!sorted: for parameter iterable: got int, want iterable"},
    {"sorted([1], key=None)", "!sorted: for parameter key: got NoneType, want callable"},
    {"sorted([1], reverse=1)", "!sorted: for parameter reverse: got int, want bool"},
    {"sorted([1], cmp=1)", "!sorted: unexpected keyword argument cmp"},
    {"str(1)", "\"1\""},
    {"str('a')", "\"a\""},
    {"str([1, 'a'])", "\"[1, \\\"a\\\"]\""},
    {"str(None)", "\"None\""},
    {"str(1.0)", "\"1.0\""},
    {"str()", "!str: got 0 arguments, want exactly 1"},
    {"tuple('a'.elems())", "(\"a\",)"},
    {"type(1)", "\"int\""},
    {"type(1.0)", "\"float\""},
    {"type('')", "\"string\""},
    {"type([])", "\"list\""},
    {"type(())", "\"tuple\""},
    {"type({})", "\"dict\""},
    {"type(set())", "\"set\""},
    {"type(None)", "\"NoneType\""},
    {"type(True)", "\"bool\""},
    {"type(range(1))", "\"range\""},
    {"zip([1, 2], 'ab'.elems())", "[(1, \"a\"), (2, \"b\")]"},
    {"zip([1, 2, 3], [4])", "[(1, 4)]"},
    {"zip()", "[]"},
    {"zip(1)", "!zip: argument #1 is not iterable: int"},
    {"fail('boom', 1)", "!fail: boom 1"},
    {"fail()", "!fail: "},
    {"fail('a', 'b', sep=',')", "!fail: a,b"},
    {"fail('x', seq=1)", "!fail: unexpected keyword argument seq (did you mean sep?)"},
    {"hash('a', 'b')", "!hash: got 2 arguments, want 1"},
    {"len(x=1)", "!len: unexpected keyword arguments"},
    /* ---- names and static errors ---- */
    {"undefined_thing", "!undefined: undefined_thing"},
    {"lenn([])", "!undefined: lenn"},
    {"x_value = 1\ndef f():\n    return x_valeu\nr = 1\n", "!undefined: x_valeu (did you mean x_value?)"},
    {"x = 1\nx = 2\nr = x\n", "!cannot reassign global x declared at t.star:1:1"},
    {"def f():\n    pass\ndef f():\n    pass\nr = 1\n", "!cannot reassign global f declared at t.star:1:5"},
    {"for x in []:\n    pass\nr = 1\n", "!for loop not within a function"},
    {"if True:\n    pass\nr = 1\n", "!if statement not within a function"},
    {"def f():\n    while True:\n        pass\nr = 1\n", "!this Starlark dialect does not support while loops"},
    {"return 1\nr = 1\n", "!return statement not within a function"},
    {"def f():\n    break\nr = 1\n", "!break not in a loop"},
    {"def f():\n    continue\nr = 1\n", "!continue not in a loop"},
    {"def f(a, a):\n    pass\nr = 1\n", "!duplicate parameter: a"},
    {"def f(a=1, b):\n    pass\nr = 1\n", "!required parameter may not follow optional"},
    {"def f(*):\n    pass\nr = 1\n", "!bare * must be followed by keyword-only parameters"},
    {"r = f(a=1, 2)\ndef f():\n    pass\n", "!positional argument may not follow named"},
    {"r = len(x=1, x=2)", "!keyword argument \"x\" is repeated"},
    {"def f():\n    x += 1\nr = f()\n", "!local variable x referenced before assignment"},
    {"def f():\n    (a, b) += 1\nr = 1\n", "!can't use tuple expression in augmented assignment"},
    {"def f():\n    1 = 2\nr = 1\n", "!can't assign to literal"},
    {"r = [x for x in range(3)]\ns = x\n", "!undefined: x"},
    {"load('a.star', 'b')\nr = 1\n", "!load not implemented by this application"},
    {"r = 1 +\n", "!got newline, want primary expression"},
    {"r = 1 +", "!got end of file, want primary expression"},
    {"r = (1", "!got end of file, want ')'"},
    {"r = 1\n  s = 2\n", "!got indent, want primary expression"},
    {"def f():\n    x = 1\n  y = 2\nr = 1\n", "!unindent does not match any outer indentation level"},
    {"r = 'abc", "!unexpected EOF in string"},
    {"r = 'a\nb'", "!unexpected newline in string"},
    {"r = '\\q'", "!invalid escape sequence \\q"},
    {"r = 1 $ 2", "!unexpected input character '$'"},
    {"r = 0755", "!obsolete form of octal literal; use 0o755"},
    {"r = 99999999999999999999", "!int literal out of 64-bit range"},
    {"r = 1 if 2", "!conditional expression without else clause"},
    {"r = a.b.c = 1", "!syntax"},
    {"r = b'x'", "!bytes literals are not supported"},
    {"class X:\n    pass\n", "!got class, want primary expression"},
    {"r = 1 == 2 == 3", "!== does not associate with == (use parens)"},
    {"r = 1; s = 2", "1"},
    {"r = [1,\n  2,\n]", "[1, 2]"},
    {"r = 1 + \\\n 2", "3"},
    {"r = 1  # comment", "1"},
    {"r = 'x'.upper", "<built-in method upper of string value>"},
    {"r = {'a': 1}.a", "!dict has no .a field or method"},
    {"r = 1\nr.x = 2\n", "!can't assign to .x field of int"},
    {"r = None.x", "!NoneType has no .x field or method"},
    {"r = [1][1:2:0]", "!zero is not a valid slice step"},
    {"r = 1[0]", "!unhandled index operation int[int]"},
    {"r = 1[0:1]", "!invalid slice operand int"},
    {"r = 'a' * 2000000000", "!excessive repeat (1 * 2000000000 elements)"},
    {"r = [1] * (1 << 40)", "!repeat count 1099511627776 too large"},
};

/* Runs one case; returns repr(r), or "!" + the error message. */
static char *run_case(const char *src, sl_error *err_out)
{
    char *module;
    if (strchr(src, '\n') || strncmp(src, "r = ", 4) == 0 || strncmp(src, "class", 5) == 0)
        module = strdup(src);
    else if (asprintf(&module, "r = (%s)\n", src) < 0)
        module = NULL;
    ck_assert_ptr_nonnull(module);
    sl_options o = {0};
    o.max_steps = 1000000;
    o.max_memory = 256u << 20;
    sl_thread *t = sl_thread_new(&o);
    ck_assert_ptr_nonnull(t);
    sl_module *m = sl_exec(t, "t.star", module, strlen(module));
    char *out = NULL;
    if (!m) {
        const sl_error *e = sl_last_error(t);
        if (err_out)
            *err_out = *e;
        if (asprintf(&out, "!%s", e->msg) < 0)
            out = NULL;
    } else {
        sl_value r, after;
        /* after(): called once the module has run (its globals frozen) */
        if (sl_module_get(m, "after", &after)) {
            r = sl_call(t, after, NULL, 0);
            if (sl_is_error(r)) {
                if (err_out)
                    *err_out = *sl_last_error(t);
                if (asprintf(&out, "!%s", sl_last_error(t)->msg) < 0)
                    out = NULL;
            } else {
                out = sl_repr(t, r);
            }
        } else if (!sl_module_get(m, "r", &r))
            out = strdup("(no r)");
        else
            out = sl_repr(t, r);
    }
    ck_assert_ptr_nonnull(out);
    free(module);
    sl_thread_free(t);
    return out;
}

START_TEST(table)
{
    const tcase_ *c = &cases[_i];
    char *got = run_case(c->src, NULL);
    if (strcmp(c->want, "!syntax") == 0)
        /* any static error, message not pinned */
        ck_assert_msg(got[0] == '!', "case %d %s: got %s, want an error", _i, c->src, got);
    else
        ck_assert_msg(strcmp(got, c->want) == 0, "case %d %s:\n got: %s\nwant: %s", _i, c->src, got, c->want);
    free(got);
}
END_TEST

/* Error positions: file:line:col of the failing operation (starlark-go's
 * positions: the operator, the call's '(', the index's '['). */
static void expect_pos(const char *src, int line, int col, const char *msg)
{
    sl_options o = {0};
    sl_thread *t = sl_thread_new(&o);
    ck_assert_ptr_null(sl_exec(t, "pos.star", src, strlen(src)));
    const sl_error *e = sl_last_error(t);
    ck_assert_str_eq(e->msg, msg);
    ck_assert_str_eq(e->file, "pos.star");
    ck_assert_msg(e->line == line && e->col == col, "%s: got %d:%d, want %d:%d", msg, e->line, e->col, line, col);
    sl_thread_free(t);
}

START_TEST(positions)
{
    expect_pos("x = 1\ny = x + 'a'\n", 2, 7, "unknown binary op: int + string");
    expect_pos("def f(d):\n    return d['k']\nz = f({})\n", 2, 13, "key \"k\" not in dict");
    expect_pos("z = len(1)\n", 1, 8, "len: value of type int has no len");
    expect_pos("z = [1, 2][5]\n", 1, 11, "list index 5 out of range [-2:1]");
    expect_pos("z = 1 // 0\n", 1, 7, "floored division by zero");
    expect_pos("z = undefined_name\n", 1, 5, "undefined: undefined_name");
    expect_pos("z = 'abc", 1, 5, "unexpected EOF in string");
    expect_pos("z = 'abc\n", 1, 5, "unexpected newline in string");
    expect_pos("z = 1\nz = 2\n", 2, 1, "cannot reassign global z declared at pos.star:1:1");
}
END_TEST

START_TEST(backtrace)
{
    sl_options o = {0};
    sl_thread *t = sl_thread_new(&o);
    const char *src = "def inner(x):\n    return len(x)\ndef outer():\n    return inner(1)\nz = outer()\n";
    ck_assert_ptr_null(sl_exec(t, "bt.star", src, strlen(src)));
    ck_assert_str_eq(sl_last_error(t)->backtrace, "Traceback (most recent call last):\n"
                                                  "  bt.star:5:10: in <toplevel>\n"
                                                  "  bt.star:4:17: in outer\n"
                                                  "  bt.star:2:15: in inner\n"
                                                  "Error in len: len: value of type int has no len");
    ck_assert_int_eq(sl_last_error(t)->line, 2);
    ck_assert_int_eq(sl_last_error(t)->col, 15);
    const char *src2 = "def f():\n    fail('bad', 42)\nz = f()\n";
    ck_assert_ptr_null(sl_exec(t, "bt2.star", src2, strlen(src2)));
    ck_assert_str_eq(sl_last_error(t)->msg, "fail: bad 42");
    ck_assert_str_eq(sl_last_error(t)->backtrace, "Traceback (most recent call last):\n"
                                                  "  bt2.star:3:6: in <toplevel>\n"
                                                  "  bt2.star:2:9: in f\n"
                                                  "Error in fail: fail: bad 42");
    sl_thread_free(t);
}
END_TEST

int main(void)
{
    /* 611 cases, each in a forked child by default: on two busy cores the
     * forks of an ASan process alone took over the 300 s a test binary
     * gets (tests/run.sh), while the cases run in under a second. They
     * share no state (one sl_thread each), so they run in this process; a
     * crash still fails the binary (no summary). */
    setenv("CK_FORK", "no", 0);
    Suite *s = suite_create("starlark");
    TCase *tc = tcase_create("table");
    tcase_add_loop_test(tc, table, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, positions);
    tcase_add_test(tc, backtrace);
    suite_add_tcase(s, tc);
    return check_run(s);
}
