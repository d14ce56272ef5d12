#!/usr/bin/env bash
# examples/plasticity/run.sh NAME|all - runs one plasticity example and draws its figure (gnuplot, PNG):
#   song2000      Song, Miller & Abbott (2000): STDP makes the weights bimodal, the output rate falls
#   vogels2011    Vogels et al. (2011): inhibitory STDP in their 10000-neuron network lowers the E rate to ~rho0
#   vogels2011_neuron  the same rule on neurons with independent Poisson inputs: the rate converges to 5 Hz
#   tm_rate_vs_U  Tsodyks-Markram depression on E->E: network rate against the release probability U
# Results go to examples/plasticity/results/NAME/, figures to examples/plasticity/figures/NAME.png.
# THREADS=N sets balnet's --threads (default 1).
set -eu
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BN=${BALNET:-$ROOT/build/balnet}
[ -x "$BN" ] || { echo "build balnet first (make build)" >&2; exit 1; }
THREADS=${THREADS:-1}   # one thread by default: examples are small, and spinning threads on a loaded machine cost more
mkdir -p "$HERE/results" "$HERE/figures"

run() {   # run NAME: the model NAME.bn into results/NAME (replacing an earlier run)
    rm -rf "$HERE/results/$1"
    "$BN" run "$HERE/$1.bn" --out "$HERE/results/$1" --quiet --threads "$THREADS"
}

preamble() {   # preamble NAME WIDTH: the gnuplot lines every figure starts with (PNG of WIDTH x 420, CSV input)
    printf '%s\n' "set terminal pngcairo size $2,420 font \",10\" noenhanced" \
        "set output \"$HERE/figures/$1.png\"" 'set datafile separator ","'
}

song2000() {
    run song2000
    local T=$HERE/results/song2000/traces
    { preamble song2000 1100; cat <<GP; } | gnuplot
set multiplot layout 1,2 title "Song, Miller & Abbott (2000): additive STDP, 1000 Poisson inputs onto one neuron"
set title "weight distribution"; set xlabel "w / w_max"; set ylabel "synapses"; set key top center
set style fill transparent solid 0.5
plot "$T/p0-t1-Ex-Out-weight_hist.csv" every ::1 using ((\$2+\$3)/2/0.3):(\$1==0?\$4:1/0) with boxes title "t = 0", \
     "" every ::1 using ((\$2+\$3)/2/0.3):(\$1==300000?\$4:1/0) with boxes title "t = 300 s"
set title "output rate and mean weight"; set xlabel "time (s)"; set ylabel "rate (Hz)"; set y2label "mean w (nS)"
set y2tics; set ytics nomirror; set key top right
plot "$T/p0-t1-Out-rate_trace.csv" every ::1 using (\$1/1000):2 with steps lw 2 title "output rate", \
     "$T/p0-t1-Ex-Out-weight_stats.csv" every ::1 using (\$1/1000):2 axes x1y2 with lines lw 2 title "mean weight"
unset multiplot
GP
}

vogels2011() {
    run vogels2011
    local T=$HERE/results/vogels2011/traces
    # 1-s means of one E neuron's currents (5 ms samples): the excitatory drive (synaptic + the 200 pA
    # background) and the magnitude of the inhibitory current
    paste -d, "$T/p0-t1-E-I_exc.csv" "$T/p0-t1-E-I_inh.csv" | awk -F, '
        NR > 1 && !/^#/ { k = int($1 / 1000); e[k] += $3; i[k] += $6; n[k]++ }
        END { print "time_s,exc_pA,minus_inh_pA"
              for (k = 0; k in n; k++) printf "%g,%g,%g\n", k + 0.5, e[k] / n[k] + 200, -i[k] / n[k] }' \
        > "$T/currents_1s.csv"
    { preamble vogels2011 1500; cat <<GP; } | gnuplot
set multiplot layout 1,3 title "Vogels et al. (2011): inhibitory STDP on I -> E, 8000 E + 2000 I neurons (target rho0 = 3 Hz)"
set title "population rates (1 s bins)"; set xlabel "time (s)"; set ylabel "rate (Hz)"; set logscale y
plot "$T/p0-t1-E-rate_trace.csv" every ::1 using (\$1/1000):2 with steps lw 2 title "E", \
     "$T/p0-t1-I-rate_trace.csv" every ::1 using (\$1/1000):2 with steps lw 2 title "I", 3 dt 2 title "rho0"
unset logscale y
set title "inhibitory weights I -> E"; set xlabel "time (s)"; set ylabel "w (nS)"
plot "$T/p0-t1-I-E-weight_stats.csv" every ::1 using (\$1/1000):2 with lines lw 2 title "mean", \
     "" every ::1 using (\$1/1000):(sqrt(\$3)) with lines lw 2 title "sd"
set title "currents of one E neuron (1 s means)"; set xlabel "time (s)"; set ylabel "current (pA)"; set logscale x
plot "$T/currents_1s.csv" every ::1 using 1:2 with lines lw 2 title "excitatory + 200 pA background", \
     "" every ::1 using 1:3 with lines lw 2 title "inhibitory (sign flipped)"
unset multiplot
GP
}

vogels2011_neuron() {
    run vogels2011_neuron
    local T=$HERE/results/vogels2011_neuron/traces
    { preamble vogels2011_neuron 1100; cat <<GP; } | gnuplot
set multiplot layout 1,2 title "Vogels et al. (2011): inhibitory STDP, 200 neurons with 800 E and 800 I Poisson inputs (target 5 Hz)"
set title "output rate (1 s bins)"; set xlabel "time (s)"; set ylabel "rate (Hz)"; set logscale y
plot "$T/p0-t1-E-rate_trace.csv" every ::1 using (\$1/1000):2 with steps lw 2 title "E", 5 dt 2 title "rho0"
unset logscale y
set title "inhibitory weights Y -> E"; set xlabel "time (s)"; set ylabel "w (nS)"
plot "$T/p0-t1-Y-E-weight_stats.csv" every ::1 using (\$1/1000):2 with lines lw 2 title "mean", \
     "" every ::1 using (\$1/1000):(sqrt(\$3)) with lines lw 2 title "sd"
unset multiplot
GP
}

tm_rate_vs_U() {
    run tm_rate_vs_U
    local P=$HERE/results/tm_rate_vs_U/points.csv
    { preamble tm_rate_vs_U 600; cat <<GP; } | gnuplot
set title "Tsodyks-Markram depression on E -> E (tau_rec = 800 ms, w U = 6 nS)"
set xlabel "release probability U"; set ylabel "rate (Hz)"; set logscale x; set xrange [0.04:1]
plot "< awk -F, 'NR>1 && \$4==\"E\" && \$5==\"rate\"' $P" using 2:6 with linespoints lw 2 title "E", \
     "< awk -F, 'NR>1 && \$4==\"I\" && \$5==\"rate\"' $P" using 2:6 with linespoints lw 2 title "I"
GP
}

case "${1:-all}" in
    song2000) song2000 ;;
    vogels2011) vogels2011 ;;
    vogels2011_neuron) vogels2011_neuron ;;
    tm_rate_vs_U) tm_rate_vs_U ;;
    all) song2000; vogels2011; vogels2011_neuron; tm_rate_vs_U ;;
    *) echo "usage: run.sh song2000|vogels2011|vogels2011_neuron|tm_rate_vs_U|all" >&2; exit 2 ;;
esac
