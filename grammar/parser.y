/*
 * parser.y - the balnet grammar (bison).  Tokens (grammar/lexer.l) -> AST (compiler/frontend/ast.h).
 *
 * Owns: the syntax of docs/language.md, its syntax-error messages and error recovery.  Must not: check
 * names, units or anything semantic; every action is one constructor call from ast.c.
 *
 * Layout: one grammar serves three inputs, chosen by the first token the lexer emits (lex.h): a whole
 * file (START_FILE), a --set expression (START_EXPR) and a --set axis value (START_AXIS).
 * Expressions use precedence declarations (lowest first): ?:, ||, &&, comparisons (non-associative),
 * + -, * /, unary - ! +, ^ (right associative), so -2^2 is -(2^2) and 2^-1 is 2^(-1).
 * Recovery: `error` alternatives in declaration lists, block items, assignment blocks and
 * simulate/sweep blocks; bison skips to the next token that can start one of them, so one run reports
 * several errors.  Soft keywords: `current` and `method` may also be used as names (a variant alternative
 * `current`, the setting `method = euler`); all other keywords are reserved.
 */
%code requires {
#include "frontend/ast.h"
#include "support/support.h"
#ifndef YY_TYPEDEF_YY_SCANNER_T
#define YY_TYPEDEF_YY_SCANNER_T
typedef void *yyscan_t;
#endif
struct lex_ctx;
}

%code provides {
int yylex(YYSTYPE *lval, YYLTYPE *lloc, yyscan_t scanner);
/* Name of a token code for dumps and messages ("name", "'+'", "param"). */
const char *parse_token_name(int token);
}

%code {
#include "frontend/lex.h"

#include <string.h>

#define A (ctx->arena)
static void yyerror(YYLTYPE *loc, yyscan_t scanner, struct lex_ctx *ctx, const char *msg);
static void set_once(struct lex_ctx *ctx, struct ast_node **slot, struct ast_node *v, const char *what);
static struct ast_node *deep(struct lex_ctx *ctx, struct ast_node *n);
}

%define api.pure full
%define api.location.type {struct span}
%define parse.error custom
%locations
%expect 0
%lex-param {yyscan_t scanner}
%parse-param {yyscan_t scanner} {struct lex_ctx *ctx}

/* Spans: a rule's span runs from its first symbol's begin to its last symbol's end; an empty rule gets
 * an empty span at the end of what precedes it. */
%code requires {
#define YYLLOC_DEFAULT(Cur, Rhs, N)                                                                \
    do {                                                                                           \
        if (N) {                                                                                   \
            (Cur).file = YYRHSLOC(Rhs, 1).file;                                                    \
            (Cur).begin = YYRHSLOC(Rhs, 1).begin;                                                  \
            (Cur).end = YYRHSLOC(Rhs, N).end;                                                      \
        } else {                                                                                   \
            (Cur).file = YYRHSLOC(Rhs, 0).file;                                                    \
            (Cur).begin = (Cur).end = YYRHSLOC(Rhs, 0).end;                                        \
        }                                                                                          \
    } while (0)
}
%initial-action { @$ = (struct span){ctx->file, 0, 0}; }

%union {
    struct ast_node *node;
    struct ast_list list;
    char *str;
    struct {
        double value;
        const char *text;
        const char *unit;
        struct span unit_span;
        struct span span;
    } num;
    int op;
    struct ast_connect_opts opts;
    struct {
        enum ast_rule rule;
        struct ast_node *arg;
    } rule;
}

%token END 0 "end of file"
%token START_FILE "start of file" START_EXPR "start of expression" START_AXIS "start of value"
%token <str> NAME "name" DERIV "dX/dt" STRING "string"
%token <num> NUMBER "number"
%token KW_IMPORT "import" KW_PARAM "param" KW_VARIANT "variant" KW_NEURON "neuron" KW_SYNAPSE "synapse"
%token KW_STATE "state" KW_LET "let" KW_METHOD "method" KW_SPIKE "spike" KW_WHEN "when"
%token KW_REFRACTORY "refractory" KW_ON "on" KW_CURRENT "current" KW_POPULATION "population"
%token KW_INPUT "input" KW_POISSON "poisson" KW_SPIKES "spikes" KW_CONNECT "connect" KW_VIA "via"
%token KW_WEIGHT "weight" KW_DELAY "delay" KW_AUTAPSES "autapses" KW_BERNOULLI "bernoulli"
%token KW_IN_DEGREE "in_degree" KW_OUT_DEGREE "out_degree" KW_ONE_TO_ONE "one_to_one"
%token KW_ALL_TO_ALL "all_to_all" KW_RECORD "record" KW_SIMULATE "simulate" KW_SWEEP "sweep"
%token KW_IN "in" KW_STEP "step" KW_IF "if" KW_ELSE "else" KW_TRUE "true" KW_FALSE "false"
%token ARROW "->" DOTDOT ".." LE "<=" GE ">=" EQ "==" NE "!=" AND "&&" OR "||"
%token ADD_SET "+=" SUB_SET "-="

%right '?' ':'
%left OR
%left AND
%nonassoc '<' LE '>' GE EQ NE
%left '+' '-'
%left '*' '/'
%precedence UNARY
%right '^'

%type <node> expr primary arg decl_node import_target syn_param item_node assign on_spike stat setting axis
%type <node> axis_value list range set_value synref if_decl binding named_arg
%type <list> decls decl imports bindings alts items item assigns syn_params syn_header
%type <list> opt_args args named_args opt_named_args pops stats settings axes exprs else_part
%type <str> name dotted
%type <op> assign_op
%type <opts> conn_opts
%type <rule> rule

%%

start:
    START_FILE decls                { ctx->decls = $2; }
  | START_EXPR expr                 { ctx->expr = $2; }
  | START_AXIS set_value            { ctx->expr = $2; }
  ;

/* ---- declarations ---- */

decls:
    %empty                          { $$ = (struct ast_list){0}; }
  | decls decl                      { $$ = $1; ast_list_append(A, &$$, &$2); }
  | decls ';'                       { $$ = $1; }
  | decls error                     { $$ = $1; }
  ;

decl:
    KW_IMPORT imports               { $$ = $2; }
  | KW_PARAM bindings               { $$ = $2; }
  | decl_node                       { $$ = ast_list_of(A, $1); }
  ;

decl_node:
    KW_VARIANT NAME '=' alts        { $$ = ast_variant(A, @$, $2, @2, $4); }
  | KW_NEURON NAME '{' items '}'    { $$ = ast_model(A, AST_NEURON, @$, $2, @2, (struct ast_list){0}, $4); }
  | KW_SYNAPSE NAME syn_header '{' items '}'
                                    { $$ = ast_model(A, AST_SYNAPSE, @$, $2, @2, $3, $5); }
  | KW_POPULATION NAME '=' NAME '[' expr ']' opt_named_args
                                    { $$ = ast_population(A, @$, $2, @2, $4, @4, $6, $8); }
  | KW_INPUT NAME '=' KW_POISSON '[' expr ']' opt_named_args
                                    { $$ = ast_input(A, @$, $2, @2, AST_INPUT_POISSON, $6, $8, NULL, @4); }
  | KW_INPUT NAME '=' KW_SPIKES '(' STRING ')'
                                    { $$ = ast_input(A, @$, $2, @2, AST_INPUT_SPIKES, NULL, (struct ast_list){0}, $6, @6); }
  | KW_CONNECT NAME ARROW NAME KW_VIA synref rule conn_opts
                                    { $$ = ast_connect(A, @$, $2, @2, $4, @4, $6, $7.rule, @7, $7.arg, $8); }
  | KW_RECORD pops ':' stats        { $$ = ast_record(A, @$, $2, $4); }
  | KW_RECORD NAME ARROW NAME ':' stats   /* a projection: its weights and event states (issue 12) */
                                    { $$ = ast_record(A, @$, ast_list_of(A, ast_name(A, @2, $2)), $6);
                                      $$->record.post = $4; $$->record.post_span = @4; }
  | KW_SIMULATE '{' settings '}'    { $$ = ast_block(A, AST_SIMULATE, @$, $3); }
  | KW_SWEEP '{' axes '}'           { $$ = ast_block(A, AST_SWEEP, @$, $3); }
  | if_decl                         { $$ = $1; }
  ;

imports:
    import_target                   { $$ = ast_list_of(A, $1); }
  | imports ',' import_target       { $$ = $1; ast_list_push(A, &$$, $3); }
  ;
import_target:
    NAME                            { $$ = ast_import(A, @$, $1, NULL); }
  | STRING                          { $$ = ast_import(A, @$, NULL, $1); }
  ;

/* NAME = expr {, NAME = expr}: built as PARAM nodes, retagged by the caller (state, let). */
bindings:
    binding                         { $$ = ast_list_of(A, $1); }
  | bindings ',' binding            { $$ = $1; ast_list_push(A, &$$, $3); }
  ;
binding:
    name '=' expr                   { $$ = ast_binding(A, AST_PARAM, @$, $1, @1, $3); }
  ;

/* Names that may also be soft keywords. */
name:
    NAME                            { $$ = $1; }
  | KW_CURRENT                      { $$ = "current"; }
  | KW_METHOD                       { $$ = "method"; }
  ;

alts:
    name                            { $$ = ast_list_of(A, ast_name(A, @1, $1)); }
  | alts '|' name                   { $$ = $1; ast_list_push(A, &$$, ast_name(A, @3, $3)); }
  ;

syn_header:
    %empty                          { $$ = (struct ast_list){0}; }
  | '(' ')'                         { $$ = (struct ast_list){0}; }
  | '(' syn_params ')'              { $$ = $2; }
  ;
syn_params:
    syn_param                       { $$ = ast_list_of(A, $1); }
  | syn_params ',' syn_param        { $$ = $1; ast_list_push(A, &$$, $3); }
  ;
syn_param:
    name                            { $$ = ast_binding(A, AST_SYN_PARAM, @$, $1, @1, NULL); }
  | name '=' expr                   { $$ = ast_binding(A, AST_SYN_PARAM, @$, $1, @1, $3); }
  ;

/* ---- neuron and synapse bodies ---- */

items:
    %empty                          { $$ = (struct ast_list){0}; }
  | items item                      { $$ = $1; ast_list_append(A, &$$, &$2); }
  | items ';'                       { $$ = $1; }
  | items error                     { $$ = $1; }
  ;
item:
    KW_PARAM bindings               { $$ = $2; }
  | KW_STATE bindings               { $$ = $2; ast_list_set_kind(&$$, AST_STATE); }
  | KW_LET bindings                 { $$ = $2; ast_list_set_kind(&$$, AST_LET); }
  | item_node                       { $$ = ast_list_of(A, $1); }
  ;
item_node:
    DERIV '=' expr                  { $$ = ast_ode(A, @$, $1, @1, $3, NULL, @3); }
  | DERIV '=' expr KW_METHOD name   { $$ = ast_ode(A, @$, $1, @1, $3, $5, @5); }
  | KW_SPIKE KW_WHEN expr           { $$ = ast_spike(A, @$, $3, (struct ast_list){0}); }
  | KW_SPIKE KW_WHEN expr '{' assigns '}'
                                    { $$ = ast_spike(A, @$, $3, $5); }
  | KW_REFRACTORY expr              { $$ = ast_item(A, AST_REFRACTORY, @$, $2); }
  | KW_CURRENT expr                 { $$ = ast_item(A, AST_CURRENT, @$, $2); }
  | on_spike                        { $$ = $1; }
  ;
on_spike:
    KW_ON KW_SPIKE '(' NAME ')' '{' assigns '}'
                                    { $$ = ast_on_spike(A, @$, NULL, @1, $4, @4, $7); }
  | KW_ON NAME '(' NAME ')' '{' assigns '}'   /* on pre(w) / on post(w): plastic synapses (sema checks the name) */
                                    { $$ = ast_on_spike(A, @$, $2, @2, $4, @4, $7); }
  ;
assigns:
    %empty                          { $$ = (struct ast_list){0}; }
  | assigns assign                  { $$ = $1; ast_list_push(A, &$$, $2); }
  | assigns ';'                     { $$ = $1; }
  | assigns error                   { $$ = $1; }
  ;
assign:
    NAME assign_op expr             { $$ = ast_assign(A, @$, $1, @1, (enum ast_assign_op)$2, $3); }
  ;
assign_op:
    '='                             { $$ = AST_SET; }
  | ADD_SET                         { $$ = AST_ADD_SET; }
  | SUB_SET                         { $$ = AST_SUB_SET; }
  ;

/* ---- populations, inputs, connections ---- */

opt_named_args:
    %empty                          { $$ = (struct ast_list){0}; }
  | '(' ')'                         { $$ = (struct ast_list){0}; }
  | '(' named_args ')'              { $$ = $2; }
  ;
named_args:
    named_arg                       { $$ = ast_list_of(A, $1); }
  | named_args ',' named_arg        { $$ = $1; ast_list_push(A, &$$, $3); }
  ;
named_arg:
    name '=' expr                   { $$ = ast_binding(A, AST_ARG, @$, $1, @1, $3); }
  ;

synref:
    NAME                            { $$ = ast_name(A, @$, $1); }
  | NAME '(' opt_args ')'           { $$ = ast_call(A, @$, $1, @1, $3); }
  | '(' expr ')'                    { $$ = $2; }
  ;
rule:
    KW_BERNOULLI '(' expr ')'       { $$.rule = AST_RULE_BERNOULLI; $$.arg = $3; }
  | KW_IN_DEGREE '(' expr ')'       { $$.rule = AST_RULE_IN_DEGREE; $$.arg = $3; }
  | KW_OUT_DEGREE '(' expr ')'      { $$.rule = AST_RULE_OUT_DEGREE; $$.arg = $3; }
  | KW_ONE_TO_ONE                   { $$.rule = AST_RULE_ONE_TO_ONE; $$.arg = NULL; }
  | KW_ALL_TO_ALL                   { $$.rule = AST_RULE_ALL_TO_ALL; $$.arg = NULL; }
  ;
conn_opts:
    %empty                          { $$ = (struct ast_connect_opts){0}; }
  | conn_opts KW_WEIGHT expr        { $$ = $1; set_once(ctx, &$$.weight, $3, "weight"); }
  | conn_opts KW_DELAY expr         { $$ = $1; set_once(ctx, &$$.delay, $3, "delay"); }
  | conn_opts KW_AUTAPSES           { $$ = $1; $$.autapses = true; }
  ;

/* ---- record, simulate, sweep, if ---- */

pops:
    NAME                            { $$ = ast_list_of(A, ast_name(A, @1, $1)); }
  | pops ',' NAME                   { $$ = $1; ast_list_push(A, &$$, ast_name(A, @3, $3)); }
  ;
stats:
    stat                            { $$ = ast_list_of(A, $1); }
  | stats ',' stat                  { $$ = $1; ast_list_push(A, &$$, $3); }
  ;
stat:
    expr                            { $$ = ast_binding(A, AST_STAT, @$, NULL, (struct span){@1.file, @1.begin, @1.begin}, $1); }
  | NAME '=' expr                   { $$ = ast_binding(A, AST_STAT, @$, $1, @1, $3); }
  ;

settings:
    %empty                          { $$ = (struct ast_list){0}; }
  | settings setting                { $$ = $1; ast_list_push(A, &$$, $2); }
  | settings ','                    { $$ = $1; }
  | settings ';'                    { $$ = $1; }
  | settings error                  { $$ = $1; }
  ;
setting:
    name '=' expr                   { $$ = ast_binding(A, AST_SETTING, @$, $1, @1, $3); }
  | name '=' list                   { $$ = ast_binding(A, AST_SETTING, @$, $1, @1, $3); }   /* order = [...] */
  ;

axes:
    %empty                          { $$ = (struct ast_list){0}; }
  | axes axis                       { $$ = $1; ast_list_push(A, &$$, $2); }
  | axes ','                        { $$ = $1; }
  | axes ';'                        { $$ = $1; }
  | axes error                      { $$ = $1; }
  ;
axis:
    name KW_IN axis_value           { $$ = ast_binding(A, AST_AXIS, @$, $1, @1, $3); }
  | dotted KW_IN axis_value         { $$ = ast_binding(A, AST_AXIS, @$, $1, @1, $3); }
  ;
/* POP.NAME or SYNAPSE.NAME: an argument of a population or synapse, swept (sema checks what it names). */
dotted:
    NAME '.' name                   { $$ = arena_printf(A, "%s.%s", $1, $3); }
  ;
axis_value:
    list                            { $$ = $1; }
  | range                           { $$ = $1; }
  ;
set_value:
    expr                            { $$ = $1; }
  | list                            { $$ = $1; }
  | range                           { $$ = $1; }
  ;
list:
    '[' ']'                         { $$ = ast_list_node(A, @$, (struct ast_list){0}); }
  | '[' exprs ']'                   { $$ = ast_list_node(A, @$, $2); }
  | '[' exprs ',' ']'               { $$ = ast_list_node(A, @$, $2); }
  ;
exprs:
    expr                            { $$ = ast_list_of(A, $1); }
  | exprs ',' expr                  { $$ = $1; ast_list_push(A, &$$, $3); }
  ;
range:
    expr DOTDOT expr                { $$ = ast_range(A, @$, $1, $3, NULL); }
  | expr DOTDOT expr KW_STEP expr   { $$ = ast_range(A, @$, $1, $3, $5); }
  ;

if_decl:
    KW_IF expr '{' decls '}' else_part
                                    { $$ = ast_if(A, @$, $2, $4, $6); }
  ;
else_part:
    %empty                          { $$ = (struct ast_list){0}; }
  | KW_ELSE '{' decls '}'           { $$ = $3; }
  | KW_ELSE if_decl                 { $$ = ast_list_of(A, $2); }
  ;

/* ---- expressions ---- */

expr:
    expr '?' expr ':' expr          { $$ = deep(ctx, ast_cond(A, $1, $3, $5)); }
  | expr OR expr                    { $$ = deep(ctx, ast_binary(A, @2, AST_OR, $1, $3)); }
  | expr AND expr                   { $$ = deep(ctx, ast_binary(A, @2, AST_AND, $1, $3)); }
  | expr '<' expr                   { $$ = deep(ctx, ast_binary(A, @2, AST_LT, $1, $3)); }
  | expr LE expr                    { $$ = deep(ctx, ast_binary(A, @2, AST_LE, $1, $3)); }
  | expr '>' expr                   { $$ = deep(ctx, ast_binary(A, @2, AST_GT, $1, $3)); }
  | expr GE expr                    { $$ = deep(ctx, ast_binary(A, @2, AST_GE, $1, $3)); }
  | expr EQ expr                    { $$ = deep(ctx, ast_binary(A, @2, AST_EQ, $1, $3)); }
  | expr NE expr                    { $$ = deep(ctx, ast_binary(A, @2, AST_NE, $1, $3)); }
  | expr '+' expr                   { $$ = deep(ctx, ast_binary(A, @2, AST_ADD, $1, $3)); }
  | expr '-' expr                   { $$ = deep(ctx, ast_binary(A, @2, AST_SUB, $1, $3)); }
  | expr '*' expr                   { $$ = deep(ctx, ast_binary(A, @2, AST_MUL, $1, $3)); }
  | expr '/' expr                   { $$ = deep(ctx, ast_binary(A, @2, AST_DIV, $1, $3)); }
  | expr '^' expr                   { $$ = deep(ctx, ast_binary(A, @2, AST_POW, $1, $3)); }
  | '-' expr %prec UNARY            { $$ = deep(ctx, ast_unary(A, @1, AST_NEG, $2)); }
  | '!' expr %prec UNARY            { $$ = deep(ctx, ast_unary(A, @1, AST_NOT, $2)); }
  | '+' expr %prec UNARY            { $$ = deep(ctx, ast_unary(A, @1, AST_PLUS, $2)); }
  | primary                         { $$ = $1; }
  ;
primary:
    NUMBER                          { $$ = ast_number(A, $1.span, $1.value, $1.text, $1.unit, $1.unit_span); }
  | name                            { $$ = ast_name(A, @$, $1); }
  | name '(' opt_args ')'           { $$ = deep(ctx, ast_call(A, @$, $1, @1, $3)); }
  | STRING                          { $$ = ast_string(A, @$, $1); }
  | '(' expr ')'                    { $$ = $2; }
  | KW_TRUE                         { $$ = ast_bool(A, @$, true); }
  | KW_FALSE                        { $$ = ast_bool(A, @$, false); }
  ;
opt_args:
    %empty                          { $$ = (struct ast_list){0}; }
  | args                            { $$ = $1; }
  ;
args:
    arg                             { $$ = ast_list_of(A, $1); }
  | args ',' arg                    { $$ = $1; ast_list_push(A, &$$, $3); }
  ;
arg:
    expr                            { $$ = ast_binding(A, AST_ARG, @$, NULL, (struct span){@1.file, @1.begin, @1.begin}, $1); }
  | NAME '=' expr                   { $$ = ast_binding(A, AST_ARG, @$, $1, @1, $3); }
  ;

%%

const char *parse_token_name(int token)
{
    return yysymbol_name(YYTRANSLATE(token));
}

static void yyerror(YYLTYPE *loc, yyscan_t scanner, struct lex_ctx *ctx, const char *msg)
{
    (void)scanner;
    if (ctx->fatal)
        return;
    if (strcmp(msg, "memory exhausted") == 0) {
        /* bison's stack (YYMAXDEPTH) is full: only absurdly long operator chains get here, since
         * brackets are limited by the lexer. */
        diag_error(ctx->diags, *loc, "expression too deeply nested (parser stack full)");
        ctx->fatal = true;
        return;
    }
    diag_error(ctx->diags, *loc, "%s", msg);
}

static struct ast_node *deep(struct lex_ctx *ctx, struct ast_node *n)
{
    if (n->depth == PARSE_MAX_EXPR_DEPTH + 1 && !ctx->fatal) {
        diag_error(ctx->diags, n->span, "expression too deeply nested (more than %d levels)", PARSE_MAX_EXPR_DEPTH);
        ctx->fatal = true;
    }
    return n;
}

static void set_once(struct lex_ctx *ctx, struct ast_node **slot, struct ast_node *v, const char *what)
{
    if (*slot)
        diag_error(ctx->diags, v->span, "'%s' given twice in one connect", what);
    else
        *slot = v;
}

/* How a token is named in messages: the offending text itself for names and numbers, quoted
 * punctuation and keywords, bare "end of file" / "string". */
static const char *describe(struct lex_ctx *ctx, yysymbol_kind_t sym, const YYLTYPE *loc)
{
    const char *s = yysymbol_name(sym);
    if (loc && (sym == YYSYMBOL_NAME || sym == YYSYMBOL_NUMBER || sym == YYSYMBOL_DERIV)) {
        uint32_t n = loc->end - loc->begin;
        if (n > 40)
            n = 40;
        return arena_printf(A, "%s '%.*s'", s, (int)n, ctx->text + loc->begin);
    }
    if (sym == YYSYMBOL_NAME || sym == YYSYMBOL_NUMBER || sym == YYSYMBOL_DERIV || sym == YYSYMBOL_STRING ||
        sym == YYSYMBOL_YYEOF || s[0] == '\'')
        return s;
    return arena_printf(A, "'%s'", s);
}

/* Tokens that can start an expression: when all of them are expected, say "expression". */
static bool starts_expr(yysymbol_kind_t s)
{
    return s == YYSYMBOL_NUMBER || s == YYSYMBOL_NAME || s == YYSYMBOL_KW_CURRENT || s == YYSYMBOL_KW_METHOD ||
           s == YYSYMBOL_KW_TRUE || s == YYSYMBOL_KW_FALSE || s == YYTRANSLATE('(') || s == YYTRANSLATE('-') ||
           s == YYTRANSLATE('+') || s == YYTRANSLATE('!') || s == YYSYMBOL_STRING;
}

static bool unclosed_brace(const struct lex_ctx *ctx, yysymbol_kind_t tok, const yysymbol_kind_t *exp, int n)
{
    if (ctx->depth == 0 || ctx->open_ch[ctx->depth - 1] != '{')
        return false;
    bool want_close = false;
    for (int i = 0; i < n; i++)
        want_close |= exp[i] == YYTRANSLATE('}');
    switch (tok) {
    case YYSYMBOL_YYEOF: case YYSYMBOL_KW_IMPORT: case YYSYMBOL_KW_VARIANT: case YYSYMBOL_KW_NEURON:
    case YYSYMBOL_KW_SYNAPSE: case YYSYMBOL_KW_POPULATION: case YYSYMBOL_KW_INPUT: case YYSYMBOL_KW_CONNECT:
    case YYSYMBOL_KW_RECORD: case YYSYMBOL_KW_SIMULATE: case YYSYMBOL_KW_SWEEP:
        return want_close;
    default:
        return false;
    }
}

/* "; did you mean 'population'?" when the unexpected token is a name within two edits of a keyword that
 * could stand there (a misspelt keyword lexes as a name).  Only the expected keywords are offered, so a
 * name is never "corrected" to a keyword the grammar would refuse at that point. */
static const char *keyword_suggestion(struct lex_ctx *ctx, yysymbol_kind_t tok, const YYLTYPE *loc,
                                      const yysymbol_kind_t *exp, int n)
{
    if (tok != YYSYMBOL_NAME)
        return "";
    const char *written = arena_printf(A, "%.*s", (int)(loc->end - loc->begin), ctx->text + loc->begin);
    struct diag_suggest sg = {.name = written, .max = strlen(written) < 4 ? 1 : 2};
    for (int i = 0; i < n; i++)
        if (exp[i] >= YYSYMBOL_KW_IMPORT && exp[i] <= YYSYMBOL_KW_FALSE)
            diag_suggest(&sg, yysymbol_name(exp[i]));
    return diag_suggestion(ctx->diags, &sg, "");
}

/* "unexpected X, expected A, B or C" (the expected list only when it is short enough to help), with a
 * keyword suggestion unless the list already names the only keyword. */
static int yyreport_syntax_error(const yypcontext_t *yyctx, yyscan_t scanner, struct lex_ctx *ctx)
{
    (void)scanner;
    if (ctx->fatal)
        return 0;
    yysymbol_kind_t exp[YYNTOKENS];
    int n = yypcontext_expected_tokens(yyctx, exp, YYNTOKENS);
    yysymbol_kind_t tok = yypcontext_token(yyctx);
    const YYLTYPE *loc = yypcontext_location(yyctx);
    const char *msg = arena_printf(A, "unexpected %s", describe(ctx, tok, loc));
    bool has_expr = false;
    const char *names[YYNTOKENS];
    int k = 0;
    for (int i = 0; i < n; i++)
        if (exp[i] == YYSYMBOL_NUMBER)
            has_expr = true;
    if (has_expr)
        names[k++] = "expression";
    for (int i = 0; i < n; i++)
        if (!(has_expr && starts_expr(exp[i])))
            names[k++] = describe(ctx, exp[i], NULL);
    if (k != 1)
        msg = arena_printf(A, "%s%s", msg, keyword_suggestion(ctx, tok, loc, exp, n));
    if (k > 0 && k <= 5) {
        msg = arena_printf(A, "%s, expected %s", msg, names[0]);
        for (int i = 1; i < k; i++)
            msg = arena_printf(A, "%s%s%s", msg, i == k - 1 ? " or " : ", ", names[i]);
    } else if (unclosed_brace(ctx, tok, exp, n)) {
        /* A declaration keyword (or the end) inside a block: almost always a missing '}'. */
        diag_error(ctx->diags, *loc, "%s, expected '}'", msg);
        diag_note(ctx->diags, lex_span(ctx, ctx->open_at[ctx->depth - 1], ctx->open_at[ctx->depth - 1] + 1),
                  "to match this '{'");
        return 0;
    }
    diag_error(ctx->diags, *loc, "%s", msg);
    return 0;
}
