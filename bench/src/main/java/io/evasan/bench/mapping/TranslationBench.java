package io.evasan.bench.mapping;

import io.evasan.mapping.LogicalDisk;
import io.evasan.mapping.Mapping;
import io.evasan.raid.rstore.RaidLevel;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.options.OptionsBuilder;

import java.util.Collection;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * Translation LDA -> (RSD slot, offset) through L2MAP -> LMAP -> RSD, against a flat
 * {@code long[]} with one precomputed address per segment of the same allocated range, both fed
 * the same random LDAs. {@link #main} runs both and prints the ratio (target >= 0.5).
 *
 * <p>Run: {@code java -cp bench/target/benchmarks.jar io.evasan.bench.mapping.TranslationBench [allocatedGb]}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Fork(1)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class TranslationBench {
    private static final int LDAS = 1 << 16;
    private static final long MB = 1L << 20;

    @Param("100")
    public long allocatedGb;

    private MappingBenchSupport support;
    private LogicalDisk lun;
    private long[] flat;
    private long[] ldas;
    private int i;

    @Setup(Level.Trial)
    public void setUp() throws Exception {
        support = new MappingBenchSupport(allocatedGb);
        lun = support.mapping.create("bench", Mapping.MAX_LUN_BYTES, RaidLevel.RAID0);
        long segs = allocatedGb * 1024;
        MappingBenchSupport.allocate(lun, segs);
        flat = new long[(int) segs];
        for (int s = 0; s < segs; s++) {
            flat[s] = lun.translate(s * MB);
        }
        Random r = new Random(42);
        ldas = new long[LDAS];
        for (int k = 0; k < LDAS; k++) {
            ldas[k] = (long) (r.nextDouble() * segs * MB) & ~511L;
        }
    }

    @TearDown(Level.Trial)
    public void tearDown() throws Exception {
        support.close();
    }

    @Benchmark
    public long mappingTranslate() {
        long lda = ldas[i++ & (LDAS - 1)];
        return lun.translate(lda);
    }

    @Benchmark
    public long flatArray() {
        long lda = ldas[i++ & (LDAS - 1)];
        return flat[(int) (lda >>> 20)] + (lda & (MB - 1));
    }

    public static void main(String[] args) throws Exception {
        OptionsBuilder o = new OptionsBuilder();
        o.include(TranslationBench.class.getName() + ".*");
        if (args.length > 0) {
            o.param("allocatedGb", args[0]);
        }
        Collection<RunResult> rs = new Runner(o.build()).run();
        double mapping = 0;
        double flat = 0;
        for (RunResult r : rs) {
            String label = r.getPrimaryResult().getLabel();
            double score = r.getPrimaryResult().getScore();
            if (label.equals("mappingTranslate")) {
                mapping = score;
            } else if (label.equals("flatArray")) {
                flat = score;
            }
        }
        System.out.printf("translation: mapping %.1f M lookups/s, flat long[] %.1f M lookups/s, ratio %.3f (target >= 0.5)%n",
                mapping / 1e6, flat / 1e6, mapping / flat);
    }
}
