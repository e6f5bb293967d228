package io.evasan.nsc.api;

/** The controller's own state (GET /api/controllers, metrics). */
public interface Controllers {
    /** The write-back cache's fill and destage counters now. */
    CacheView cache();
}
