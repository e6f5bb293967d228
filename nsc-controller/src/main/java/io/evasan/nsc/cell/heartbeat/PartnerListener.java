package io.evasan.nsc.cell.heartbeat;

/** Told every change of the partner's state, on the monitor's event-loop thread (must not block). */
@FunctionalInterface
public interface PartnerListener {
    void onChange(PartnerEvent event);
}
