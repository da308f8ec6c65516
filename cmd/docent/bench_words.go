package main

// benchWords is a vocabulary of 3,000 English words, most frequent first
// (from the abstracts of the SciFact corpus, stop words removed).
const benchWords = `
cells cell patients expression cancer results human protein study associated disease risk dna gene
treatment mice data increased role specific analysis studies high induced activity levels here
function type development genes receptor years show control factors activation response effects
tumor factor age stem dependent group clinical compared proteins women through based growth had
signaling found methods model binding new health including among related effect identified well
blood different time potential higher complex important significant mechanisms mediated tissue rna
suggest within evidence low non pathway vivo population findings system immune mortality regulation
primary infection first survival mouse early therapy reduced although changes formation conclusions
mechanism genome normal cellular required molecular showed increase number genetic diabetes observed
breast kinase association target long responses vitro thus provide known bone multiple death present
review major many like replication functional loss care single could derived chronic level over acid
hiv brain whether mutations positive beta demonstrate novel small nuclear resistance lung how lower
inhibition further inflammatory several background similar large each total groups production
expressed virus children common per rate plasma some stress self did life models months without
research cases mean activated key events insulin drug respectively regulatory pathways sites
membrane family outcome decreased chromatin weight acute essential recent independent adult reported
term patient while addition process objective therapeutic highly less neurons identify mir functions
involved receptors whereas either diseases trials heart treated subjects controls shown structure
design progression domain active men mrna metabolic outcomes information via ratio rates revealed
controlled serum body tumors presence about year distinct report interaction glucose inflammation
embryonic site interactions cycle alpha mutant anti histone participants form macrophages analyses
screening regulated endothelial methylation will muscle cause tissues trial current incidence
previously processes differences against host apoptosis critical phase overall individuals liver
conclusion demonstrated relative determine negative reduction prevalence species because indicate
viral conditions regions four malaria obesity exercise interval mass suggesting greater furthermore
induction range sequence dose effective fat stage mutation confidence under any status developed
should repair various due following damage region therefore contrast vascular approach metabolism
central ability measures main chromosome follow test placebo included lines enhanced inhibitors
direct method examined epithelial types severe assessed cohort diagnosis failure days together
regulate least state defined roles end cardiac antigen syndrome intervention versus general
investigated same aging containing period lipid wide size mammalian before support infected remains
phenotype likely symptoms case genomic neural sensitivity inhibitor deficient determined performed
unknown density quality measured provides populations hospital recently short combination randomized
yeast pressure class samples play disorders exposure weeks possible injury change wild drugs being
day surface across targets free efficacy coronary available where properties pre complexes upon
established release aged increases studied index impact molecules might markers global regulates
medical combined despite contribute line renal second individual adults relationship moreover energy
improved setting peptide synthesis detected directly result increasing structural pluripotent
epigenetic cross features cancers peripheral conserved elevated leading limited biological
cholesterol signals promoter lesions strategies calcium maintenance pregnancy marrow prevention
underlying fibroblasts baseline accumulation transmission assembly adjusted physical sex difference
five patterns absence causes targeting suggests signal influence terminal actin systems part fold
additional induce generation remain sequences ifn animals healthy states often enzyme stroke
experimental frequency promotes humans generated neuronal national older carcinoma meta evaluated
wnt rapid countries structures analyzed vitamin bacterial agents inhibited adhesion basis diet
culture caused memory median klf components correlated obtained adverse scale lineage signalling
oxidative need even gamma importance tumour resulted followed imaging linked future community
autophagy homeostasis expressing previous requires initial better pain assess sample cytokine
migration ligand dysfunction daily hypertension context secondary double deficiency distribution
developing promote management isolated criteria investigate does component standard alternative
capacity conducted six targeted tested immunity reduce depression pattern resulting decrease
endogenous would assessment produced late post consistent activities selection understood people
them local received impaired manner unclear approaches leukemia specificity intake testing score
since consumption defects poor out adipose antibody processing history somatic secretion surgery
estimated alone oral prospective molecule improve then particularly mirnas cost network bmi area
plays birth innate induces male systematic infections describe detection action subsequent rat
particular described smoking values very selective sensitive little areas develop amino polymerase
domains deletion regression leads interleukin rats social occurs mirna assay disorder given odds
animal now implications point matrix yet subunit initiation considered specifically dietary hpv
affect unique pancreatic cytokines knowledge confirmed skeletal kidney antibodies progenitor
affected still strategy set therapies regulating pathogenesis rnas lack stable organization work
comparison alcohol regulator degradation seen gain include tlr suppression occurred systemic
efficient dendritic reveal variation evaluate evaluation program measure finally bcl lead oxygen
food mental pol alterations assays hypothesis behavior tuberculosis associations microtubule length
onset relevant discuss glutamate flow transport quantitative pcr recruitment much largely complete
effector evolution resolution maternal numbers depletion resistant cervical gastric natural examine
tgf chain murine inhibits metastasis pulmonary led source stimulation poorly million diverse
colorectal white strongly sequencing coding macrophage propose bacteria estimates variety open
stages responsible biology value egfr training strong reactive mesenchymal mutants remodeling
necessary deaths benefit percent experiments grade stimulated iii circadian occur forms prior
dynamics few suggested recognition volume autoimmune lacking implicated doses delivery down purpose
organ risks advanced crucial fibrosis strand motor encoding indicating pro rather potentially
synaptic infants sufficient acids aim light chromosomes exhibit angiogenesis diagnostic taken
neutrophils represent marker tolerance circulating prevent respiratory integrin potent tyrosine
tests sepsis bound downstream tnf localization cyclin nucleotide burden atp rapidly find united
cognitive expansion embryos biochemical highest survey monocytes pluripotency sleep whole provided
min female allele produce protection platelet safety translation predicted selected plus ovarian
members proposed according hormone uptake surgical transition skin splicing loci myeloid correlation
silencing insights soluble appears remained notch myocardial scores dynamic needed fatty indicated
kinases cytoplasmic practice involving hazard field made drosophila transgenic seven relation
clinically altered amyloid diabetic origin substantial transcripts especially invasion tcr reverse
hours spatial affinity proportion vaccine elements useful obese regeneration clear express prostate
month oct become renewal define metastatic fgf apoptotic arterial hcv application products reaction
suppressed activating week contributes database viruses order fate maintain regulators duration cdk
fetal core peptides young times suppressor inhibit inhibitory measurements promoting intestinal
nervous published currently performance abnormal parameters division subset substrate myc cortical
full interferon variants frequently restricted cortex moderate average channel channels treatments
alzheimer headache progenitors maturation act generate mature microscopy access efficiency integrity
chemotherapy spindle event able transient extent cadherin variables achieved vegf applied stability
sources repression literature longer hcc reduces providing phenotypes binds residues simple
defective world summary observations profile malignant eukaryotic hepatic require throughout article
another donor phosphatase help infarction neutrophil stromal dcs living oxide telomere extensive
randomised points diagnosed elegans controlling severity copd establish thereby conventional
temporal organisms along content akt recruited whose facilitate mhc artery ampk toward significance
stat reveals transfer coli old involvement brca basic majority environment entry cultured necrosis
enzymes improvement mediate src cns dementia appropriate reference nucleosome rnai person modulation
guidelines encoded regarding chromosomal what melanoma formed degree widely radiation conclude later
enriched subunits ebv driven differential csf randomly ros endometrial ras profiles mscs art
prognosis bind producing involves statistical benefits affects strains neonatal assigned prognostic
agent emerging challenge adaptive protective clusters promoters reducing tool step cox basal mitotic
programs mitochondria apoe locus nature presented fraction mediates recombinant series third fully
course partial rich ipscs nucleus injection appear her mitosis must public lysine asthma left
diversity genomes knockdown techniques tools micrornas sirna contain relatively settings focus
fasting best modified shows invasive persons services repeat composition ratios hypoxia arrest
consequences problems cultures catenin gender enhance needs inducing importantly advances contains
indicates random problem collected aspects past eight pathological estimate half paper link
inducible side loop antigens balance caspase real behavioral objectives frequent variant receiving
africa adjustment intensive completed prolonged optimal homocysteine lymphocytes authors larger
relevance activate education coupled matched specimens igf cluster interference predict mmp
pathogens anxiety until localized dominant families discovery compounds elimination partially
medication biogenesis gut accompanied rise modification robust designed exhibited called activates
acts acetylation newly contact antibiotics impairment ldl cin cerebral cord calculated last genotype
purified strain costs terms gbm examination represents enrolled contribution recovery adipocytes
nitric primarily clearance aimed restriction exposed generally plant commonly certain plasticity
clock migraine spinal intensity enhances hscs precursor mtor thought toxicity cold experience
disruption predictive corin unit biomarkers existing checkpoint understand knockout beneficial
decline ribosomal fusion metformin markedly progressive attenuated search western cerevisiae explore
coverage zinc undergoing hepatitis administered microrna recurrence medications vesicles
transduction networks astrocytes kappab product ligands difficult dual senescence stranded blockade
located modulate met oncogenic nsclc presentation vector pylori kras maintained inhibiting interest
functionally around allows directed genetically progress example fluid bmp metastases candidate
linear monitoring technique mrnas ventricular marked allow numerous iron affecting aberrant broad
almost elderly address fundamental medicine expected multivariate dimensional glioblastoma good
telomeres position morbidity live foxp mammals member survivors homologous improvements fluorescence
chemical attention exchange having machinery african instability lipoprotein differ correlates
sectional once undergo spontaneous near promising defect income reproductive intrinsic blocked nor
agonist receive additionally colon efficiently lymph sox matter lymphoma comparing applications
screen alleles subsets treat visual axis way mainly acquired electron treg secreted variable
transcript element introduction prevented activator date recognized classes detect growing
trafficking exogenous preventing embryo reports surveillance integrated staining aims map cleavage
lifestyle mechanical account explain continuous folate smooth challenges depends precise drive
reviewed serious helper threshold inactivation pathology means arginine mechanistic triggered mild
highlight lymphoid cycles monocyte males erk adhd solid microbial psychiatric glioma childhood niche
questions turn head promoted plants crispr females sensory achieve strength sustained span termed
infectious aortic prevents reviews base bias sir question morphology january accuracy isolation
every evolutionary measurement underwent box intermediate american framework hippocampal aml copy
feature hsc tract extended modeling amount profiling maximum capable display respond rad neither
requirement predictor protocol fibroblast null mellitus temperature rare longevity estrogen finding
make center motifs force naive greatly policy paraquat influences subsequently blocking net ribosome
lin motif identifying forming released laboratory specialized completely epidermal collagen
comparable minimal middle steroid incident albumin switch ubiquitin carcinomas displayed percentage
concept vessels persistent fitness clonal multi gata mutated selectively feeding suppress mediators
south trends clones ink putative parallel variability rac segregation predictors lesion latent
includes microarray showing synthase compare child earlier fork hand taking sexual node far fewer
european cannot demonstrates supports adjacent peak attributable myeloma expanded pregnant
possibility medium lost considerable cumulative reductions validated adherence recorded exosomes
maintaining nutrition tumours hbv insight cpg decreases intact novo upstream organs aire blind
beyond kinetics replacement economic microtubules signature pten next december agonists proteasome
errors recurrent technology enhancer extension serve defense above pooled phosphate generating red
inflammasome ion discussed conversion height sodium fed similarly ischemic helicase others lineages
trigger whom limit junction fish neurological instead colitis feedback nets falciparum resonance
abundance synthetic ages identity sclerosis widespread probably reactions suppresses positively
nucleosomes availability software monoclonal snps array recommended cas spread nlrp stimuli respect
autoimmunity chemokine detailed notably chd nanog apparent syndromes ang linking nearly ectopic camp
excess canonical collectively barriers aspirin responsive mapping smokers escherichia interface hdac
nine separate deposition upregulated ends focal error constitutive oxidation tet share influenza
mapk characterize endothelium precursors died efforts acting shock prediction varied membranes
learning issues stim admission closely sympathetic nerve hypertensive cyp initially bodies final
subject mixed timing systolic appeared rho worldwide physicians overweight disability tension
familial airway block ser clinic pathogen diffusion malignancies integration carried reporter
surprisingly symptomatic right interacting cdna lowering repeats atm worse failed pge snf
acquisition pathogenic trend anaphase delayed contained possibly subtypes germ tail condition
accurate intervals foxo hba interacts infusion sod retinal ghrelin resource escs give classical
arthritis situ antagonist lethal occurring usually seq gap contacts deprivation cvd gestational
databases logistic mode location regenerative lifespan distance speech home pairs icu daf endocrine
leptin magnetic entire offer probability amounts cytotoxic hla view rapamycin elongation stimulate
antioxidant supporting alter stimulates towards service making periods spectrum reporting protease
antiviral nutrient vaccines abundant lowest brown antibiotic adolescents units lps extracts seems
illness fractures epithelium gov participate perceived causing guide longitudinal triggers nmda exon
plaque yap arm eating substrates neutralizing cytology internal nuclei cre barrier leukocyte
throughput close panel presenting actions library concomitant eukaryotes thymic junctions parents
nmol cdc lipids aggressive serine emerged place squamous exist experienced traditional ips cxcr erbb
nhej consequence load bowel biopsy improves interact correlations polymorphism biomarker proper
synapse occurrence analysed splice sperm aids carriers determinants phenotypic adaptation relapse
exists movement sets identifies discovered virulence crp absolute water steps methylated
consistently turnover negatively cytoskeleton except mobility physiology classified unrelated
sensing lymphocyte oocyte successful subtype inclusion suicide power twenty fracture prc parasite
oscillations architecture observation susceptible combinations consecutive neurogenesis advantage
ten diastolic regimens consensus sub degrees immunization maximal solution repeated behaviors
obstructive persistence annual delta biosynthesis bmal phenomenon methyl glial dorsal lateral
synapses upper subgroup restored explained utilization bile increasingly allowing postnatal unlike
evolved ucp web isoforms ranged upregulation integrins bladder clearly ablation infiltration
hormones telomerase http pancreas catalytic links effectively infant particles physician success
country validation antitumor erythroid breaks tregs pda crystal resection microm great platform
explored hippocampus limitations enhancers fast excitatory continued critically hypothesized shift
off goal determining conversely lived deficits ppar focused premature existence carbon recipients
resting count platelets kir bearing own complexity toxic supported diminished repertoire cytoplasm
space paired metabolites creatinine congenital issue surveys facilitates resident prion reversed
mtdna autophagic glp chinese axonal angiotensin articles blm procedure vessel interfering routine
gfp encodes initiating medline itself behaviour nct smc adjuvant younger zone centers comparative
material depend university resources documented spine thyroid pth aureus requirements hes trans
decision describes typical extracted noncoding noted latter homology ill shared fixed planning
distributed signs epidemiology proximal accelerated hundred none oncogene cytokinesis practices
envelope adequate hospitals registry germline statins below procedures angiogenic residue arf
nitrite effectors landscape visceral glomerular cochrane clustering regimen amp toll jnk conditional
stratified adjusting technologies employed thrombosis reflect smaller cytotoxicity prevalent
validity store injected vectors removal orai top discharge cis create modulating polycomb folic ror
europe depending identical subcutaneous crest fluorescent initiate transformed green origins
materials algorithm powerful external superior polarity impairs viability heavy damaged healthcare
heat maps accumulate similarity funding stay modulates repressor confirm registration remarkably why
blocks cloned vaccination ccr clinicians mri preterm limb start contributed consider divided pool
ligation compartment islet regional dramatically hence stimulating involve therapeutics cohorts
polarization homolog adulthood added transforming degeneration meiotic analyze inner cytosolic
elusive psychosocial axons school microbiota dependence minor stiffness rest standardized limiting
joint initiated uses kda sirnas limits computer fission determinant starting native derivatives
definition axon improving orientation ischemia principal prone coupling ccl mediator gram gtpase
ranging glutamine loops ipsc hour hdl hsp retinoic spleen likelihood decisions bariatric media
intravenous successfully mediating defining ctcf distal cascade enable par episodes immediate
abstract contributing fatal though pediatric emotional utility tau enables plaques magnitude
quadruplex possess healing autologous project paradigm fact neuron lungs conformation codon forks
prominent partners searched language china take predicts urinary placental prophylaxis causal urban
linkage mucosal mucosa atpase neoplasia emergency carrying enhancement symptom users excessive diets
sema records assessing prescribed phases correlate alt telomeric normally histones colony embase
influenced largest protect abolished outside destruction consequently follicular trained eligible
typically atypical admitted genotypes depleted anterior isolates venous mmol indeed hemoglobin rrna
prescribing unmet poisoning nrf fibers blot editing cloning inherited capture ligase ensure drives
representing graft perform original weekly igg society donors deletions kinetochore trp expenditure
equivalent antagonists decade diameter safe decades statin treating twin pad coordinated
substitution face cyclic remodelling endocytosis overcome smad ino salmonella comparisons msc absent
vertebrate methodology dialysis osteoporosis dosage encode epidemic template driving superoxide vary
collection sought depressive centre exclusively tamoxifen storage transcribed offspring slow user
extensively mutagenesis tat dicer labeling frontal xenopus adipocyte joining als arp preoperative
sorting transfected makes allowed extra segment oxidase organism synthesized wall referred androgen
untreated engineered homozygous enzymatic categories acidic input heterozygous true wine fragment
nutrients appearance delay neoplastic locations blockers atrial dengue requiring transplant rig
potentials hypoglycemia produces inversely anticancer finger reliable subgroups constant motility
enhancing yield counts locally cytoskeletal institute curve anemia surrounding satellite expectancy
demographic rationale meiosis reliability bypass theory developments preclinical harm relatives
rural unstable deep statistics osteoblasts competition alkaline ecm varying aberrations break
studying ductal lactate pax minimum nrg poly biopsies ethnic rescued mesoderm suitable epilepsy
loading done seem enrichment naturally attributed cues patterning programme myosin compound sampling
circuit aerobic scientific decreasing declined ongoing reticulum consisting vein regular emt dying
messenger helix intestine influx aggregation quartile mda estimation centrosome trpml seeking wound
urease suppressive amplified severely computed proportional spectrometry arise changing zebrafish
weak radiotherapy composed tube budding neuropathy egg agreement inactive swi progeny combining
introduced variations redox air ultimately differed chemokines endoplasmic organelles preference
traits sections retained publication acquire bleeding unable snp programmed sensor export correct
structurally ways trophoblast derivation terminus kif subcellular sirt gaps pdgfr pkc microg layer
bmd ambulatory intron ibuprofen abl detecting nevertheless thickness neck pregnancies shape
perspective accordingly pronounced profound registered greatest mathematical predictions engineering
policies hyperplasia retention presents elucidate complement ring tata born extremely england
disrupted modulated frequencies completion plasmodium genetics secretory celiac dramatic arg
autonomic confer ischaemic foods black glutathione melatonin posterior establishing monitor onto
compartments emergence tomography intra readily mammary addressed dsrna polarized radical valuable
preventive rcts bed inverse foundation island cysteine ray discrete already parasites summarize
quiescent purification mecp modifying cartilage steady dispensable currents inter glucagon
acupuncture rnase northern yielded centromere forces wave confers unexpected residual fever enos
soft gemcitabine cytochrome shorter osteoclast medicare icam survivin muscles gestation primed mbp
thymus protects kidneys otherwise truncated phylogenetic isoform mitogen kappa monitored evaluating
cytometry interview plasmid opposite inheritance promise neuropathic colonic eye autosomal
highlights reached ibd removed striking serotonin relaxation fragments mtorc advantages spatially
boundaries alignment dynein arrays nod predicting helicobacter cyclase functioning inadequate wrn
engagement gpi csc hcmv switching dsb prisoners constitute escape ctl curves seizures evident
researchers read killing image ventral allogeneic offers bovine universal arabidopsis science
ventilation deacetylase lncrna oxidized composite approved avoid urine tobacco arteries industry
protected april crohn lysosomal household see indices geographic volunteers microbiome npc changed
implemented choice ethnicity metabolite shoulder birds believed cessation alk cenp dsbs pair back
segments extraction concerns operated histological sense mosquito ago principles regardless
nutritional elicited fas asymmetric interplay synergistic incubation continue comprised`
