package io.evasan.deploy;

/**
 * What a drill of the clustered cell does to the controller processes, as {@code deploy/cell.sh drill} does it: a
 * signal to a process, this process's own end (as under SIGKILL) or stop (SIGSTOP, with its SIGCONT left to a
 * detached process), a cut of the bus between the two (the partition file both read) and the start of the partner's
 * process again. Invariant: each call either did what it says or throws, naming what failed.
 */
interface ProcessActions {
    /** Sends {@code signal} (KILL, STOP, CONT) to process {@code pid}. */
    void signal(long pid, String signal);

    /** This process ends at once, as under SIGKILL: nothing of it runs after this. */
    void haltSelf();

    /** This process stops (SIGSTOP); a detached process sends it SIGCONT {@code resumeAfterMillis} later. */
    void stopSelf(long resumeAfterMillis);

    /** Cuts the bus between the two processes for {@code millis} (both keep the drives). */
    void cutBus(long millis);

    /** Starts controller {@code nsc}'s process again, as {@code cell.sh drill start}; returns its pid. */
    long start(io.evasan.nsc.api.NscId nsc);
}
