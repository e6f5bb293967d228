package io.evasan.nsc.api;

/**
 * A controller's state as its partner and the management appliance see it: {@code ONLINE} serves; {@code FAILED}
 * crashed or was declared dead (its LUNs are taken over); {@code HUNG} stopped responding without exiting (fenced
 * the same way: it writes nothing until restarted); {@code RESYNCHRONIZING} is back and taking a fresh mirror
 * before it serves again.
 */
public enum NscState {
    ONLINE, FAILED, HUNG, RESYNCHRONIZING
}
