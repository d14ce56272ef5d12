"""stdp_compare.py - balnet against Brian2 on COBA with additive STDP on E -> E (bench/peers_stdp.sh).
usage: /usr/bin/python3 stdp_compare.py BALNET_BINARY ROOT OUTDIR DURATION_S TRIALS

Runs models/benchmarks/coba_stdp.bn in balnet (--threads 1, --no-cache, trials 1..TRIALS, DURATION_S) and
bench/peers/brian2_stdp.py twice (C++ standalone, 1 thread, TRIALS runs of one binary): with Brian2's own
order of events in a time step (`pre`: on_pre before on_post) and with balnet's (`post`: a post spike's event
before the pre event of a spike with the same time stamp; docs/language.md "Plastic synapses", Times).  The
two orders differ only for a pre and a post spike with the same stamp: Brian2 counts that pair as pre before
post (potentiation by A+), balnet as post before pre (depression by A-).

Prints, for the E and I rates and the mean E -> E weight at each second, each side's mean and standard
deviation over its trials and z = (mean - balnet's mean) / sqrt(sd^2/n + sd_balnet^2/n), the difference in
units of its standard error from the trial spread (|z| < 2: within the spread); then build and loop times.
Measurements are printed, never asserted.
"""
import csv
import json
import os
import statistics
import subprocess
import sys

binary, root, out, duration, trials = sys.argv[1], sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5])
os.makedirs(out, exist_ok=True)
nsec = int(round(duration))


def balnet():
    folder = os.path.join(out, 'balnet')
    subprocess.run(['rm', '-rf', folder], check=True)
    subprocess.run([binary, 'run', os.path.join(root, 'models/benchmarks/coba_stdp.bn'), '--set',
                    'duration=%g s' % duration, '--set', 'trial=1..%d' % trials, '--threads', '1', '--no-cache',
                    '--quiet', '--out', folder], check=True)
    res = {}
    with open(os.path.join(folder, 'points.csv')) as f:
        for r in csv.DictReader(f):
            if r['statistic'] == 'rate' and r['population'] in ('E', 'I'):
                res.setdefault(int(r['trial']), {})['rate_' + r['population'].lower()] = float(r['value'])
    for t in res:
        with open(os.path.join(folder, 'traces', 'p0-t%d-E-E-weight_stats.csv' % t)) as f:
            rows = [r for r in csv.DictReader(f) if not r['time_ms'].startswith('#')]
        res[t]['w'] = [float(r['mean_nS']) for r in rows]
    with open(os.path.join(folder, 'timings.csv')) as f:
        tim = list(csv.DictReader(f))
    with open(os.path.join(folder, 'run.json')) as f:
        run = json.load(f)
    times = {'compile_s': float(tim[0]['compile_ms']) / 1e3,
             'loop_s': statistics.median(float(r['sim_ms']) / 1e3 for r in tim),
             'run_json_compile_ms': run.get('compile_ms')}
    return [res[t] for t in sorted(res)], times


def brian2(order):
    work = os.path.join(out, 'brian2-' + order)
    subprocess.run(['rm', '-rf', work], check=True)
    env = dict(os.environ, BRIAN2_STDP_ORDER=order)
    p = subprocess.run([sys.executable, os.path.join(root, 'bench/peers/brian2_stdp.py'), work, '%g' % duration,
                        str(trials)], env=env, capture_output=True, text=True, cwd=out)
    with open(work + '.log', 'w') as f:
        f.write(p.stdout + p.stderr)
    res, times = [], {}
    for line in p.stdout.splitlines():
        kv = dict(x.split('=', 1) for x in line.split())
        if 'trial' in kv:
            res.append({'rate_e': float(kv['rate_e']), 'rate_i': float(kv['rate_i']),
                        'w': [float(x) for x in kv['w_mean_nS'].split(',')]})
        elif 'build_s' in kv:
            times = {'compile_s': float(kv['build_s']), 'loop_s': float(kv['run_s'])}
    if not res:
        sys.exit('Brian2 failed (%s): see %s.log' % (order, work))
    return res, times


def ms(xs):
    return statistics.mean(xs), statistics.stdev(xs) if len(xs) > 1 else float('nan')


sides = [('balnet', *balnet()), ('Brian2 pre-first', *brian2('pre')), ('Brian2 post-first', *brian2('post'))]
rows = [('E rate (Hz)', lambda r: r['rate_e']), ('I rate (Hz)', lambda r: r['rate_i'])]
rows += [('mean w at %d s (nS)' % s, (lambda s: lambda r: r['w'][s])(s)) for s in range(1, nsec + 1)]
print('COBA + additive STDP on E->E, %g s, %d trials each, 1 thread (mean +- sd over trials; z against balnet)'
      % (duration, trials))
print('%-22s' % 'quantity' + ''.join('%-32s' % name for name, _, _ in sides))
for label, get in rows:
    b_m, b_s = ms([get(r) for r in sides[0][1]])
    cells = []
    for name, res, _ in sides:
        m, s = ms([get(r) for r in res])
        z = '' if name == 'balnet' else '  z %+.1f' % ((m - b_m) / ((s * s + b_s * b_s) / trials) ** 0.5)
        cells.append('%-32s' % ('%.4f +- %.4f%s' % (m, s, z)))
    print('%-22s' % label + ''.join(cells))
print('%-22s' % 'build / compile (s)' + ''.join('%-32s' % ('%.3f' % t['compile_s']) for _, _, t in sides))
print('%-22s' % 'loop (s, median)' + ''.join('%-32s' % ('%.3f' % t['loop_s']) for _, _, t in sides))
print('(balnet compile is the JIT with --no-cache, compile_ms of run.json: %s ms; Brian2 build is code '
      'generation + g++ + link)' % sides[0][2]['run_json_compile_ms'])
