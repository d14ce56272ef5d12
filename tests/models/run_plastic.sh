#!/usr/bin/env bash
# Plastic projections end to end (the rules themselves are checked exactly in
# tests/unit/test_codegen_plastic.c): tests/models/plastic.bn.
#   check -v    says where each event state lives and how it is integrated;
#   weights     one row per synapse (pre, post, w); their mean equals the last weight_stats mean (both from
#               the same floats, printed with 9 and 17 digits: relative tolerance 1e-7);
#   histogram   counts sum to the number of synapses at every sample (exact);
#   followed    weight_trace(synapses = 7): its last sample is the final weight of each of its synapses (exact);
#               state_trace(x_post, synapses = 3): 0 at t = 0, then positive;
#   state       the mean presynaptic trace x_pre (+1 per spike, tau 20 ms) of 10 Hz Poisson trains is
#               rate * tau = 0.2 on average; 5 samples of 200 source means: within [0.15, 0.25] (the sd of
#               one sample of 200 independent traces is about 0.02);
#   engines     --engine interp writes the same weights file, byte for byte;
#   errors      a weights file that cannot be written fails the run with the path; a record of a connection
#               that does not exist or is not plastic, or of an unknown state, is a located error.
set -u
source "$(dirname "$0")/lib.sh"

model=tests/models/plastic.bn
"$BALNET" check -v $model > "$TMP/check.txt" 2>&1 || fail "check"
grep -q "x_pre .*per source .*event-driven, exact: tau 20 ms" "$TMP/check.txt" && pass "check -v: x_pre per source" ||
    fail "check -v does not show x_pre per source"
grep -q "x_post .*per target" "$TMP/check.txt" && pass "check -v: x_post per target" || fail "check -v: x_post"
grep -q "w .*per synapse (float)" "$TMP/check.txt" && pass "check -v: w per synapse" || fail "check -v: w"
grep -q " u .*per source .*tau 1000 ms" "$TMP/check.txt" && pass "check -v: TM u per source" || fail "check -v: u"

"$BALNET" run $model --out "$TMP/r" -q 2>"$TMP/err.txt" || { fail "run"; cat "$TMP/err.txt"; }
T=$TMP/r/traces
W=$T/p0-t1-X-E-weights.csv
[ "$(head -1 "$W")" = "pre,post,w_nS" ] && pass "weights header" || fail "weights header: $(head -1 "$W")"
nsyn=$(awk 'NR > 1' "$W" | wc -l)
in_range "synapses in the weights file (200 x 100 x 0.2 = 4000 expected)" "$nsyn" 3700 4300
wmean=$(awk -F, 'NR > 1 { s += $3; n++ } END { printf "%.17g", s / n }' "$W")
smean=$(awk -F, 'NR > 1 && !/^#/ { m = $2 } END { print m }' "$T/p0-t1-X-E-weight_stats.csv")
rel_close "mean of the final weights vs the last weight_stats mean" "$wmean" "$smean" 1e-7
wmax=$(awk -F, 'NR > 1 { if ($3 > m) m = $3 } END { print m }' "$W")
in_range "largest weight (nS) within the bound" "$wmax" 0 1
rows=$(awk 'NR > 1' "$T/p0-t1-X-E-weight_stats.csv" | wc -l)
[ "$rows" -eq 11 ] && pass "weight_stats: 11 samples (t = 0, 100, ..., 1000 ms)" || fail "weight_stats rows $rows"
bad=$(awk -F, -v n="$nsyn" 'NR > 1 { c[$1] += $4 } END { for (t in c) if (c[t] != n) print t }' "$T/p0-t1-X-E-weight_hist.csv")
[ -z "$bad" ] && pass "weight_hist counts sum to $nsyn at every sample" || fail "weight_hist sums differ at $bad"
xm=$(awk -F, 'NR > 2 { s += $2; n++ } END { printf "%.6g", s / n }' "$T/p0-t1-X-E-state_x_pre.csv")
in_range "mean x_pre over the samples after t = 0 (rate * tau = 0.2)" "$xm" 0.15 0.25
[ -f "$T/p0-t1-E-E-u_mean.csv" ] && pass "named state_trace file" || fail "no p0-t1-E-E-u_mean.csv"
# followed synapses: 7 evenly spaced synapses x 11 samples; each is a synapse of the weights file, and its
# last sample is its final weight (the same float printed the same way: exact)
WT=$T/p0-t1-X-E-weight_trace.csv
[ "$(head -1 "$WT")" = "time_ms,pre,post,w_nS" ] && pass "weight_trace header" || fail "weight_trace header: $(head -1 "$WT")"
rows=$(awk 'NR > 1' "$WT" | wc -l)
[ "$rows" -eq 77 ] && pass "weight_trace: 7 synapses x 11 samples" || fail "weight_trace rows $rows"
miss=$(awk -F, 'NR == FNR { if (FNR > 1) w[$1 "," $2] = $3; next }
                FNR > 1 && $1 == 1000 { n++; if (w[$2 "," $3] != $4) print $2 "," $3 "=" $4 } END { if (n != 7) print "n=" n }' \
       "$W" "$WT")
[ -z "$miss" ] && pass "weight_trace at 1 s = the final weights of its 7 synapses" || fail "weight_trace vs weights: $miss"
moved=$(awk -F, 'NR > 1 && $1 == 1000 && $4 != 0.5' "$WT" | wc -l)
[ "$moved" -ge 1 ] && pass "weight_trace: $moved of 7 followed weights moved from 0.5 nS" || fail "no followed weight moved"
XP=$T/p0-t1-X-E-synapses_x_post.csv
zero=$(awk -F, 'NR > 1 && $1 == 0 && $4 == 0' "$XP" | wc -l); pos=$(awk -F, 'NR > 1 && $1 > 0 && $4 > 0' "$XP" | wc -l)
[ "$zero" -eq 3 ] && [ "$pos" -eq 6 ] && pass "state_trace(x_post, synapses = 3): 0 at t = 0, then positive" ||
    fail "synapses_x_post: $(cat "$XP")"

"$BALNET" run $model --engine interp --out "$TMP/ri" -q 2>"$TMP/err.txt" || { fail "run interp"; cat "$TMP/err.txt"; }
cmp -s "$W" "$TMP/ri/traces/p0-t1-X-E-weights.csv" && pass "interp writes the same weights" ||
    fail "interp weights differ"

# a weights file that cannot be written: traces/ is a file
mkdir -p "$TMP/bad" && : > "$TMP/bad/traces"
if "$BALNET" run $model --out "$TMP/bad" -q 2>"$TMP/err.txt"; then fail "unwritable weights: run succeeded"
elif grep -Eq "cannot (write .*traces/p0-t1-X-E|create .*/bad/traces)" "$TMP/err.txt"; then pass "unwritable weights file: $(head -1 "$TMP/err.txt")"
else fail "unwritable weights: $(cat "$TMP/err.txt")"; fi

# plastic_more.bn: a per-synapse state with a random initial value (c = uniform(0.5, 1.5)), and per-synapse
# delays; the same files from the interpreter and from 2 threads (byte for byte: draws are keyed by synapse,
# not by thread, and each target meets its arrivals in one order)
M=tests/models/plastic_more.bn
"$BALNET" check -v $M 2>&1 | grep -q "c .*per synapse (float) random initial value" && pass "check -v: c random, per synapse" ||
    fail "check -v: $("$BALNET" check -v $M 2>&1 | grep ' c ')"
"$BALNET" run $M --out "$TMP/m1" -q 2>"$TMP/err.txt" || { fail "run plastic_more"; cat "$TMP/err.txt"; }
"$BALNET" run $M --out "$TMP/mi" --engine interp -q 2>"$TMP/err.txt" || { fail "run plastic_more interp"; cat "$TMP/err.txt"; }
BALNET_NEURONS_PER_THREAD=50 "$BALNET" run $M --out "$TMP/m2" --threads 2 -q 2>"$TMP/err.txt" ||
    { fail "run plastic_more, 2 threads"; cat "$TMP/err.txt"; }
[ "$(cut -d, -f8 "$TMP/m2/timings.csv" | tail -1)" = 2 ] || fail "plastic_more did not run on 2 threads"
for f in X-E-weights X-E-state_c X-E-synapses_c Y-E-weights Y-E-state_x_pre Z-E-weights; do
    a=$TMP/m1/traces/p0-t1-$f.csv
    cmp -s "$a" "$TMP/mi/traces/p0-t1-$f.csv" && cmp -s "$a" "$TMP/m2/traces/p0-t1-$f.csv" &&
        pass "plastic_more $f: JIT = interpreter = 2 threads" || fail "plastic_more $f differs between engines or threads"
done
# per-synapse delays (Y -> E): x_pre is stored per synapse, and its mean is still rate * tau = 0.2 (as above:
# 2 samples of 4000 synapse traces from 200 sources; the sd of a sample is below 0.02)
"$BALNET" check -v $M 2>&1 | sed -n '/^  Y -> E/,/^  Z -> E/p' | grep -q "x_pre .*per synapse (float) event-driven" &&
    pass "check -v: per-synapse delays store x_pre per synapse" || fail "check -v: Y -> E x_pre not per synapse"
xm=$(awk -F, 'NR > 2 { s += $2; n++ } END { printf "%.6g", s / n }' "$TMP/m1/traces/p0-t1-Y-E-state_x_pre.csv")
in_range "per-synapse delays: mean x_pre over the samples after t = 0 (rate * tau = 0.2)" "$xm" 0.15 0.25
# Z -> E's delays are drawn per synapse but all round to 10 steps: the same run as `delay 1 ms`, byte for byte
# (arrivals at the same steps, in the same order; Z -> E has no per-source state, so nothing moves to float)
sed 's/delay uniform(1 ms, 1.04 ms)/delay 1 ms/' $M > "$TMP/zconst.bn"
grep -q "Z -> E .*delay 1 ms$" "$TMP/zconst.bn" || fail "zconst.bn not made"
"$BALNET" run "$TMP/zconst.bn" --out "$TMP/mc" -q 2>"$TMP/err.txt" || { fail "run zconst"; cat "$TMP/err.txt"; }
cmp -s "$TMP/m1/traces/p0-t1-Z-E-weights.csv" "$TMP/mc/traces/p0-t1-Z-E-weights.csv" &&
    cmp -s "$TMP/m1/points.csv" "$TMP/mc/points.csv" &&
    pass "per-synapse delays that are all 10 steps = delay 1 ms (weights and rates, byte for byte)" ||
    fail "per-synapse delays of 10 steps differ from delay 1 ms"

# mean of 4000 uniform(0.5, 1.5) draws: 1, sd 0.29/sqrt(4000) = 0.005; +-0.03 is 6 sd
in_range "mean initial c over the synapses" "$(awk -F, 'NR == 2 { print $2 }' "$TMP/m1/traces/p0-t1-X-E-state_c.csv")" 0.97 1.03
nd=$(awk -F, 'NR > 1 && $1 == 0 { if ($4 >= 0.5 && $4 < 1.5) print $4 }' "$TMP/m1/traces/p0-t1-X-E-synapses_c.csv" | sort -u | wc -l)
[ "$nd" -eq 5 ] && pass "5 followed synapses: 5 distinct initial c in [0.5, 1.5)" || fail "followed c: $nd distinct in range"

# the same model with precision = single (float neuron columns): JIT = interpreter = 2 threads, and the final
# weights' mean within 1e-4 nS of double's (measured: 0 over 200 ms, 1e-6 over 1 s; one post spike moved by
# a step changes a few weights by up to ~4e-4 nS, so the mean of 4000 moves by far less than 1e-4)
sed 's/^simulate { duration = 200 ms }/simulate { duration = 200 ms  precision = single }/' $M > "$TMP/single.bn"
grep -q "precision = single" "$TMP/single.bn" || fail "single.bn not made"
"$BALNET" run "$TMP/single.bn" --out "$TMP/s1" -q 2>"$TMP/err.txt" || { fail "run single"; cat "$TMP/err.txt"; }
"$BALNET" run "$TMP/single.bn" --out "$TMP/si" --engine interp -q 2>"$TMP/err.txt" || { fail "run single interp"; cat "$TMP/err.txt"; }
BALNET_NEURONS_PER_THREAD=50 "$BALNET" run "$TMP/single.bn" --out "$TMP/s2" --threads 2 -q 2>"$TMP/err.txt" ||
    { fail "run single, 2 threads"; cat "$TMP/err.txt"; }
a=$TMP/s1/traces/p0-t1-X-E-weights.csv
cmp -s "$a" "$TMP/si/traces/p0-t1-X-E-weights.csv" && cmp -s "$a" "$TMP/s2/traces/p0-t1-X-E-weights.csv" &&
    pass "precision = single: weights JIT = interpreter = 2 threads" || fail "precision = single: weights differ"
wd=$(awk -F, 'NR > 1 { s += $3; n++ } END { printf "%.9g", s / n }' "$TMP/m1/traces/p0-t1-X-E-weights.csv")
ws=$(awk -F, 'NR > 1 { s += $3; n++ } END { printf "%.9g", s / n }' "$a")
in_range "precision = single: mean final weight - double's (nS)" "$(awk -v a="$ws" -v b="$wd" 'BEGIN { print a - b }')" -1e-4 1e-4

# located errors
bad_record() {   # bad_record NAME RECORD-LINE EXPECTED
    sed "s|^record X -> E:.*|$2|; /^ *state_trace(/d" $model > "$TMP/$1.bn"
    "$BALNET" check "$TMP/$1.bn" > "$TMP/out.txt" 2>&1 && fail "$1: check succeeded"
    if grep -q "$3" "$TMP/out.txt" && grep -q "$1.bn:[0-9]*:[0-9]*: error" "$TMP/out.txt"; then pass "$1: $3"
    else fail "$1: wanted '$3' in: $(cat "$TMP/out.txt")"; fi
}
bad_record nocon "record E -> X: weights" "there is no connection E -> X"
printf 'import lif, exp_synapses\npopulation E = lif[10]\nconnect E -> E via exp_current() bernoulli(0.5) weight 1 pA\nrecord E -> E: weights\n' > "$TMP/static.bn"
"$BALNET" check "$TMP/static.bn" > "$TMP/out.txt" 2>&1 && fail "static: check succeeded"
grep -q "static.bn:4:1: error: the connection E -> E is not plastic" "$TMP/out.txt" && pass "static: not plastic" ||
    fail "static: $(cat "$TMP/out.txt")"
bad_record nostate "record X -> E: state_trace(y, every = 1 ms)" "'y' is not an event state"
bad_record badarg "record X -> E: weight_hist(bins = 10)" "needs the top of its range"
bad_record nsyn "record X -> E: weight_trace(every = 1 ms)" "needs the number of synapses to follow"
bad_record nsyn0 "record X -> E: state_trace(x_pre, synapses = 0)" "follows 1 to 10000 synapses"

# per-receptor recording: syn(SYNAPSE, STATE) (tests/models/receptors.bn); in F the only synapse's current is
# I_syn itself: the same sums, so equal to the last digit
R=tests/models/receptors.bn
"$BALNET" run $R --out "$TMP/rc" -q 2>"$TMP/err.txt" || { fail "run receptors"; cat "$TMP/err.txt"; }
a=$(value "$TMP/rc/points.csv" population=F statistic=i_syn); b=$(value "$TMP/rc/points.csv" population=F statistic=i_exc)
[ "$a" = "$b" ] && pass "F: mean(syn(exp_current, I)) = mean(I_syn) = $a pA" || fail "F: $b != I_syn $a"
in_range "E: mean AMPA conductance (nS), recorded apart" "$(value "$TMP/rc/points.csv" population=E statistic=g_ampa)" 0.5 10
in_range "E: mean NMDA d (nS), recorded apart" "$(value "$TMP/rc/points.csv" population=E statistic=nmda_d)" 2 50
[ -s "$TMP/rc/traces/p0-t1-E-g_ampa_t.csv" ] && pass "trace of one receptor" || fail "no g_ampa_t trace"
printf 'import lif, stdp\npopulation E = lif[10]\ninput X = poisson[10](rate = 1 Hz)\nconnect X -> E via stdp_add() bernoulli(0.5) weight 0.5 nS\nrecord E: mean(syn(stdp_add, x_pre))\n' > "$TMP/synev.bn"
"$BALNET" check "$TMP/synev.bn" > "$TMP/out.txt" 2>&1 && fail "syn() of an event state: check succeeded"
grep -q "synev.bn:5:.*error: 'x_pre' of 'stdp_add' is stored per synapse or per source/target neuron" "$TMP/out.txt" &&
    pass "syn() of an event state: located error" || fail "syn() of an event state: $(cat "$TMP/out.txt")"

[ "$FAILS" -eq 0 ] && echo "all plastic checks passed" || { echo "$FAILS failure(s)"; exit 1; }
