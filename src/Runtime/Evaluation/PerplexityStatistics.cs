namespace QuantRuntime.Evaluation;

/// <summary>Perplexity over the scored tokens: exp of the mean negative log-likelihood, with its error bar.</summary>
/// <param name="Perplexity">PPL = exp(mean NLL), NLL = −ln p(correct next token) in nats.</param>
/// <param name="PerplexityError">PPL × SE(NLL): the standard error of the mean NLL propagated through exp (first order).</param>
/// <param name="MeanNll">Mean negative log-likelihood (nats per token).</param>
/// <param name="MeanNllError">Standard error of <paramref name="MeanNll"/>.</param>
/// <param name="Tokens">Tokens scored.</param>
public sealed record PerplexityStatistics(double Perplexity, double PerplexityError, double MeanNll, double MeanNllError, int Tokens)
{
    /// <summary>The statistics of per-token negative log-likelihoods.</summary>
    public static PerplexityStatistics FromNll(ReadOnlySpan<double> nll)
    {
        double mean = SampleStatistics.Mean(nll);
        double error = SampleStatistics.StandardErrorOfMean(nll);
        double ppl = Math.Exp(mean);
        return new PerplexityStatistics(ppl, ppl * error, mean, error, nll.Length);
    }
}

/// <summary>A model's perplexity against the base model's, on the same tokens (paired).</summary>
/// <param name="Ratio">PPL(quantized) / PPL(base) = exp(mean(NLLq − NLLb)).</param>
/// <param name="RatioError">Ratio × SE(NLLq − NLLb), the standard error of the mean paired difference, propagated.</param>
/// <param name="Difference">ΔPPL = PPL(quantized) − PPL(base).</param>
/// <param name="DifferenceError">√(PPLq²·SEq² + PPLb²·SEb² − 2·PPLq·PPLb·Cov(mean NLLq, mean NLLb)) (first order, correlation kept).</param>
/// <param name="NllCorrelation">Pearson correlation of the per-token NLLs of the two models.</param>
public sealed record PerplexityComparison(double Ratio, double RatioError, double Difference, double DifferenceError, double NllCorrelation)
{
    /// <summary>Compares paired per-token NLLs of a model (<paramref name="nll"/>) and the base (<paramref name="baseNll"/>).</summary>
    public static PerplexityComparison FromNll(ReadOnlySpan<double> nll, ReadOnlySpan<double> baseNll)
    {
        if (nll.Length != baseNll.Length)
        {
            throw new ArgumentException($"paired samples differ in length ({nll.Length} and {baseNll.Length})");
        }
        var difference = new double[nll.Length];
        for (int i = 0; i < nll.Length; i++)
        {
            difference[i] = nll[i] - baseNll[i];
        }
        double ratio = Math.Exp(SampleStatistics.Mean(difference));
        double ratioError = ratio * SampleStatistics.StandardErrorOfMean(difference);
        double pplQ = Math.Exp(SampleStatistics.Mean(nll)), pplB = Math.Exp(SampleStatistics.Mean(baseNll));
        double varQ = SampleStatistics.CovarianceOfMeans(nll, nll), varB = SampleStatistics.CovarianceOfMeans(baseNll, baseNll);
        double cov = SampleStatistics.CovarianceOfMeans(nll, baseNll);
        double diffVariance = pplQ * pplQ * varQ + pplB * pplB * varB - 2 * pplQ * pplB * cov;
        double correlation = varQ > 0 && varB > 0 ? cov / Math.Sqrt(varQ * varB) : double.NaN;
        return new PerplexityComparison(ratio, ratioError, pplQ - pplB, Math.Sqrt(Math.Max(diffVariance, 0)), correlation);
    }
}
