# Balanced-state rates r = -W^-1 W_x r_x (SCIENCE.md §4; van Vreeswijk & Sompolinsky 1996) for the
# 2-population network of models/paper/cancellation.bn: W_ab = j_ab p q_b, W_ax = j_ax p q_x.
# Usage: awk -f balanced_rates.awk  (parameters below are the model's; override with -v name=value)
BEGIN {
    if (jee == "") { jee = 17.5; jei = -100; jie = 60; jii = -150; jex = 100; jix = 75 }
    if (p == "") p = 0.2
    if (qe == "") { qe = 0.8; qi = 0.2; qx = 0.3 }
    if (rx == "") rx = 10
    wee = jee * p * qe; wei = jei * p * qi; wie = jie * p * qe; wii = jii * p * qi
    wex = jex * p * qx; wix = jix * p * qx
    det = wee * wii - wei * wie
    # r = -W^-1 Wx rx with W^-1 = [[wii, -wei], [-wie, wee]] / det
    re = -(wii * wex - wei * wix) * rx / det
    ri = -(-wie * wex + wee * wix) * rx / det
    printf "%.4f %.4f\n", re, ri
}
