package io.evasan.nsc.api;

/** The two network storage controllers of a cell, named as the EVA named them. */
public enum NscId {
    A, B;

    /** The other controller of the pair. */
    public NscId partner() {
        return this == A ? B : A;
    }
}
