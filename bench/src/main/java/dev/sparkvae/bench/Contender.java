package dev.sparkvae.bench;

/**
 * One runtime's encoder in the benchmark. {@link #prepare} puts the batches into the runtime's own input form
 * (untimed); {@link #encodeAll} is the timed work.
 */
abstract class Contender implements AutoCloseable {
  private final String name;

  Contender(String name) {
    this.name = name;
  }

  String name() {
    return name;
  }

  /** Readies the inputs of every batch; replaces any earlier ones. */
  abstract void prepare(Batches batches);

  /**
   * Encodes every prepared batch once.
   *
   * @param out null while timing; else receives the outputs, row-major rows × {@link #outputWidth}
   */
  abstract void encodeAll(float[] out);

  /** Values per output row. */
  abstract int outputWidth();

  /** Frees native resources. */
  @Override
  public abstract void close();
}
