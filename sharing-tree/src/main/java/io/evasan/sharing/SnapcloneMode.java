package io.evasan.sharing;

/** How a snapclone keeps its predecessor correct until it leaves the tree. */
public enum SnapcloneMode {
    /**
     * Figs. 13-14 ([0103]-[0105]): a CFW whose destination is the snapclone also copies into the
     * snapclone's predecessor, so leaving needs (almost) no copying.
     */
    EAGER,
    /**
     * Figs. 15a-15d ([0106]-[0109]): CFWs are conventional; after BGCOPY the segments the
     * predecessor still needs are copied in the background, quiescing only below threshold M.
     */
    SCALING
}
