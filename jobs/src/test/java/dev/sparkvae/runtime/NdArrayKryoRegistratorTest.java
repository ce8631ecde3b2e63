package dev.sparkvae.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import org.apache.spark.SparkConf;
import org.apache.spark.serializer.KryoSerializer;
import org.apache.spark.serializer.SerializerInstance;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;
import scala.reflect.ClassTag$;
import scala.reflect.ClassTag;

class NdArrayKryoRegistratorTest {
  private static final ClassTag<Object> ANY = ClassTag$.MODULE$.apply(Object.class);

  private final SerializerInstance kryo = new KryoSerializer(new SparkConf()
      .set("spark.kryo.registrator", NdArrayKryoRegistrator.class.getName())
      .set("spark.kryoserializer.buffer.max", "256m")).newInstance();

  private INDArray roundTrip(INDArray array) {
    ByteBuffer bytes = kryo.serialize(array, ANY);
    return (INDArray) kryo.deserialize(bytes, ANY);
  }

  @Test
  void everyKindOfArrayComesBackEqual() {
    INDArray matrix = Nd4j.rand(DataType.FLOAT, 6, 7);
    INDArray[] arrays = {
        Nd4j.rand(DataType.FLOAT, 1, 100_000),
        matrix.get(NDArrayIndex.interval(1, 4), NDArrayIndex.interval(2, 6)),
        matrix.transpose(),
        Nd4j.rand(DataType.FLOAT, 3, 4, 5).permute(2, 0, 1),
        Nd4j.rand(DataType.DOUBLE, 'f', 5L, 3L),
        Nd4j.createFromArray(1, 2, 3, 4).reshape(2, 2),
        Nd4j.createFromArray(5L, -6L),
        Nd4j.createFromArray(true, false, true),
        Nd4j.scalar(3.5f),
        Nd4j.create(DataType.FLOAT, 0),
    };
    for (INDArray array : arrays) {
      INDArray back = roundTrip(array);
      assertThat(back.dataType()).as("data type of %s", array.shapeInfoToString()).isEqualTo(array.dataType());
      assertThat(back.shape()).as("shape of %s", array.shapeInfoToString()).isEqualTo(array.shape());
      assertThat(back).as("values of %s", array.shapeInfoToString()).isEqualTo(array);
    }
  }

  @Test
  void aFloatArrayTakesFourBytesPerValueAndTheReadCopyIsIndependent() {
    INDArray params = Nd4j.rand(DataType.FLOAT, 1, 250_000);
    ByteBuffer bytes = kryo.serialize(params, ANY);
    assertThat(bytes.remaining()).as("values plus a short header").isBetween(1_000_000, 1_000_100);
    INDArray back = (INDArray) kryo.deserialize(bytes, ANY);
    back.addi(1);
    assertThat(back.getFloat(0)).isEqualTo(params.getFloat(0) + 1);
  }
}
