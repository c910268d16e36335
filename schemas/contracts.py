"""Each feed's canonical spec and pandera contract, by feed name."""

from schemas import ambulance_handovers, cnh_cases, ed_attendances, handover_sitrep, opel_submissions

FEED_CONTRACTS = {
    module.SPEC.feed: (module.SPEC, module.contract)
    for module in (ed_attendances, ambulance_handovers, handover_sitrep, cnh_cases, opel_submissions)
}
